"""Build and load the compiled update kernel (a TensorFlow custom op).

    python -m trainer.native          # compile now (make does this on set-up)
    from trainer.native import load
    ops = load()                      # None when it cannot be built here

The shared library is compiled against the installed TensorFlow with the flags
from tf.sysconfig, and named after a hash of the source and the TensorFlow
version, so an upgrade triggers a rebuild instead of loading a stale binary.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "sgns_op.cc"
_loaded = None
_error: str | None = None


def library_path() -> Path:
    import tensorflow as tf
    digest = hashlib.sha1(SOURCE.read_bytes() + tf.__version__.encode()).hexdigest()[:12]
    return HERE / f"_word2vec_ops_{digest}.so"


def build(verbose: bool = False) -> Path:
    """Compile the op (a few seconds); returns the library path. Raises RuntimeError."""
    import tensorflow as tf
    out = library_path()
    if out.exists():
        return out
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        raise RuntimeError("no C++ compiler (g++) found; install build-essential to use the fast kernel")
    for old in HERE.glob("_word2vec_ops_*.so"):
        old.unlink(missing_ok=True)
    tmp = out.with_suffix(".tmp.so")
    # -fassociative-math & co. let the compiler vectorise the dot products (no -ffast-math: keep NaN/inf).
    cmd = [cxx, "-shared", "-fPIC", "-O3", "-march=native", "-fno-math-errno", "-fassociative-math",
           "-fno-signed-zeros", "-fno-trapping-math", "-Wno-deprecated-declarations",
           *tf.sysconfig.get_compile_flags(), str(SOURCE), "-o", str(tmp), *tf.sysconfig.get_link_flags()]
    if verbose:
        print(" ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("building the native kernel failed:\n" + proc.stderr[-4000:])
    tmp.replace(out)
    return out


def load(build_if_missing: bool = True):
    """The loaded op module, or None (see last_error()) when unavailable."""
    global _loaded, _error
    if _loaded is not None:
        return _loaded
    try:
        import tensorflow as tf
        path = library_path()
        if not path.exists():
            if not build_if_missing:
                raise RuntimeError(f"{path.name} is not built; run `python -m trainer.native`")
            build()
        _loaded = tf.load_op_library(str(path))
    except Exception as exc:  # any failure means: use the TensorFlow-ops backend
        _error = str(exc)
        return None
    return _loaded


def last_error() -> str | None:
    return _error
