"""Build and load the compiled update kernel (a TensorFlow custom op).

    python -m trainer.native            # compile now; retries a recorded failure (make native runs this)
    python -m trainer.native --force    # rebuild from scratch
    from trainer import native
    ops = native.load()                 # None when unavailable; then native.last_failure() says why
    native.last_error()                 # ... and this holds the full compiler output

Flags: `-march=native` minus the instruction-set extensions that TensorFlow's bundled Eigen headers
cannot compile (AVX512-FP16: gcc 12 rejects PacketMathFP16.h), then, if that still fails, a portable
retry (x86-64-v3 when the CPU has AVX2/FMA, else x86-64-v2): see trainer/native/flags.py, whose
choice the tests compile for other CPU families. WORD2VEC_NATIVE_ARCH="-march=..." replaces it.

The library's name hashes the source, the TensorFlow version, the compiler, the flags and this CPU's
feature flags, so a build for another CPU, compiler or TensorFlow is never loaded. Builds run under a
file lock (two processes starting together compile once) and are renamed into place atomically. A
failed build is recorded under the same hash (`.failed.json`, with the full compiler output), so
training does not re-run the compiler every time; `python -m trainer.native` retries it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import flags

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; TensorFlow custom ops are POSIX-only anyway
    fcntl = None

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "sgns_op.cc"
PREFIX = "_word2vec_ops_"
DIR_ENV = "WORD2VEC_NATIVE_DIR"  # where builds go (default: next to the source, else ~/.cache)
BUILD_TIMEOUT_S = 900
# -fassociative-math & co. let the compiler vectorise the dot products (no -ffast-math: keep NaN/inf).
# -Wno-interference-size silences a harmless Eigen note from gcc >= 12 (other compilers ignore it).
OPT_FLAGS = ("-shared", "-fPIC", "-O3", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros",
             "-fno-trapping-math", "-Wno-deprecated-declarations", "-Wno-interference-size")

_state = threading.Lock()
_loaded = None
_loaded_flags: tuple[str, ...] | None = None
_failure: NativeUnavailable | None = None
_reported: set[str] = set()  # failures already logged by this process


class NativeUnavailable(RuntimeError):
    """Why the kernel cannot be used here.

    kind: "no-compiler" | "not-built" | "build-failed" | "load-failed"; summary: one sentence
    (no newline); detail: the full compiler or loader output ("" when there is none).
    """

    def __init__(self, kind: str, summary: str, detail: str = ""):
        super().__init__(f"{summary}\n{detail}" if detail else summary)
        self.kind, self.summary, self.detail = kind, summary, detail


def compile_command(cxx: str, arch: tuple[str, ...], output: Path, object_only: bool = False) -> list[str]:
    """The compiler command line for the kernel; object_only: compile to an object file, no link."""
    import tensorflow as tf
    opt = [f for f in OPT_FLAGS if not (object_only and f == "-shared")]
    link = [] if object_only else tf.sysconfig.get_link_flags()
    return [cxx, *opt, *arch, *tf.sysconfig.get_compile_flags(), *(["-c"] if object_only else []),
            str(SOURCE), "-o", str(output), *link]


def build_dir() -> Path:
    if env := os.environ.get(DIR_ENV):
        return Path(env)
    if os.access(HERE, os.W_OK):
        return HERE
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "word2vec-explorer" / "native"


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=sorted).encode()).hexdigest()[:16]


def _env_digest() -> str:
    """What a build depends on apart from the compiler: source, TensorFlow, this CPU."""
    import tensorflow as tf
    return _digest(hashlib.sha256(SOURCE.read_bytes()).hexdigest(), tf.__version__, tf.sysconfig.get_compile_flags(),
                   tf.sysconfig.get_link_flags(), OPT_FLAGS, platform.machine(), flags.cpu_features())


@dataclass(frozen=True)
class BuildPlan:
    compiler: str
    attempts: tuple[tuple[str, ...], ...]  # arch flags, best first
    env: str  # _env_digest()
    key: str  # env + compiler + flags: names the library
    where: Path

    @property
    def library(self) -> Path:
        return self.where / f"{PREFIX}{self.key}.so"

    @property
    def meta_file(self) -> Path:
        return self.where / f"{PREFIX}{self.key}.json"

    @property
    def failure_file(self) -> Path:
        return self.where / f"{PREFIX}{self.key}.failed.json"


def plan(cxx: str | None = None) -> BuildPlan:
    cxx = cxx or flags.find_compiler()
    if cxx is None:
        raise NativeUnavailable("no-compiler",
                                "no C++ compiler (g++ or clang++) was found to build the compiled kernel")
    attempts = tuple(flags.arch_candidates(cxx))
    env = _env_digest()
    return BuildPlan(cxx, attempts, env, _digest(env, cxx, flags.compiler_version(cxx), attempts), build_dir())


def library_path() -> Path:
    """Where the library for this source, TensorFlow, compiler and CPU lives (built or not)."""
    return plan().library


def first_error_line(output: str) -> str:
    """The compiler's first error, e.g. "PacketMathFP16.h:740:49: error: expected initializer before '<' token"."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    hit = next((ln for ln in lines if re.search(r"(^|[\s:])(fatal )?error:", ln)), lines[0] if lines else "no output")
    return re.sub(r"^\S*/", "", hit)[:240]  # file name without its directory


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)  # readers never see half a file


def _recorded_failure(p: BuildPlan) -> NativeUnavailable | None:
    try:
        record = json.loads(p.failure_file.read_text())
    except (OSError, ValueError):
        return None
    detail = "\n\n".join(f"$ {' '.join(a['command'])}\n{a['output']}" for a in record["attempts"])
    summary = "the compiled kernel failed to build: " + first_error_line(record["attempts"][0]["output"])
    return NativeUnavailable("build-failed", summary, detail)


@contextmanager
def _locked(where: Path):
    """Exclusive lock on a file next to the libraries (blocks other processes and threads)."""
    where.mkdir(parents=True, exist_ok=True)
    with open(where / f"{PREFIX}build.lock", "a+") as fh:
        if fcntl is not None:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("waiting for another process that is building the native kernel")
                fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def build(force: bool = False, retry_failed: bool = False, verbose: bool = False) -> Path:
    """Compile the op if needed; returns the library path. Raises NativeUnavailable.

    force: rebuild even if built. retry_failed: run the compiler again after a recorded failure
    (otherwise that failure is raised at once)."""
    try:
        return _build(force, retry_failed, verbose)
    except (OSError, subprocess.SubprocessError) as exc:  # unwritable directory, compiler that hangs ...
        raise NativeUnavailable("build-failed", f"the compiled kernel could not be built: {exc}") from exc


def _build(force: bool, retry_failed: bool, verbose: bool) -> Path:
    p = plan()

    def ready() -> bool:
        if not force and p.library.exists():
            return True
        if not (force or retry_failed) and (failure := _recorded_failure(p)) is not None:
            raise failure
        return False

    if ready():
        return p.library
    with _locked(p.where):
        if ready():  # another process finished (or failed) while we waited for the lock
            return p.library
        return _compile(p, verbose)


def _compile(p: BuildPlan, verbose: bool) -> Path:
    failed: list[dict] = []
    for i, arch in enumerate(p.attempts):
        tmp = p.where / f"{PREFIX}{p.key}.{os.getpid()}.tmp.so"
        cmd = compile_command(p.compiler, arch, tmp)
        (logger.warning if verbose else logger.info)("building the native kernel: %s", " ".join(cmd))
        t0 = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
            ok, output = proc.returncode == 0, (proc.stderr + proc.stdout).strip()
        except subprocess.TimeoutExpired:
            ok, output = False, f"error: the compiler ran longer than {BUILD_TIMEOUT_S} s"
        except OSError as exc:
            ok, output = False, f"error: could not run the compiler: {exc}"
        if ok:
            os.replace(tmp, p.library)  # atomic: a concurrent loader sees no library or a whole one
            _write_json(p.meta_file, {"key": p.key, "env": p.env, "flags": list(arch), "compiler": p.compiler,
                                      "compiler_version": flags.compiler_version(p.compiler), "cpu": _digest(
                                          platform.machine(), flags.cpu_features()), "seconds": time.monotonic() - t0})
            p.failure_file.unlink(missing_ok=True)
            _remove_superseded(p)
            logger.info("built the native kernel with %s in %.0f s", " ".join(arch) or "default flags",
                        time.monotonic() - t0)
            return p.library
        tmp.unlink(missing_ok=True)
        failed.append({"flags": list(arch), "command": cmd, "output": output})
        logger.warning("building the native kernel with %s failed: %s%s", " ".join(arch) or "default flags",
                       first_error_line(output), "; retrying with portable flags" if i + 1 < len(p.attempts) else "")
    _write_json(p.failure_file, {"key": p.key, "compiler": p.compiler, "time": time.time(), "attempts": failed})
    failure = _recorded_failure(p)
    assert failure is not None
    logger.error("%s\nFull compiler output (kept in %s):\n%s", failure.summary, p.failure_file, failure.detail)
    _reported.add(failure.summary)
    raise failure


def _remove_superseded(p: BuildPlan) -> None:
    """Delete builds for this CPU from older sources, TensorFlow versions or compilers."""
    mine = _digest(platform.machine(), flags.cpu_features())
    for meta in p.where.glob(f"{PREFIX}*.json"):
        try:
            data = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        if data.get("cpu") == mine and data.get("key") not in (None, p.key):
            for suffix in (".so", ".json", ".failed.json"):
                (p.where / f"{PREFIX}{data['key']}{suffix}").unlink(missing_ok=True)
    for old in p.where.glob(f"{PREFIX}*.so"):  # the previous naming scheme: a 12-digit hash, no metadata
        if re.fullmatch(PREFIX + r"[0-9a-f]{12}\.so", old.name):
            old.unlink(missing_ok=True)


def _prebuilt() -> tuple[Path, tuple[str, ...]] | None:
    """Without a compiler: a library built here earlier for this source, TensorFlow and CPU."""
    env = _env_digest()
    for meta in build_dir().glob(f"{PREFIX}*.json"):
        try:
            data = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        lib = meta.with_name(f"{PREFIX}{data.get('key')}.so")
        if data.get("env") == env and lib.exists():
            return lib, tuple(data.get("flags", ()))
    return None


def _find(build_if_missing: bool) -> tuple[Path, tuple[str, ...]]:
    cxx = flags.find_compiler()
    if cxx is None and (found := _prebuilt()) is not None:
        return found
    p = plan(cxx)
    if not p.library.exists():
        if not build_if_missing:
            raise _recorded_failure(p) or NativeUnavailable(
                "not-built", "the compiled kernel is not built yet (run `python -m trainer.native`)")
        build()
    try:
        arch = tuple(json.loads(p.meta_file.read_text()).get("flags", ()))
    except (OSError, ValueError):
        arch = p.attempts[0]
    return p.library, arch


def load(build_if_missing: bool = True):
    """The loaded op module, or None when unavailable (see last_failure()). Never re-runs a failed build."""
    global _loaded, _loaded_flags, _failure
    with _state:
        if _loaded is not None:
            return _loaded
        try:
            try:
                path, arch = _find(build_if_missing)
            except (OSError, subprocess.SubprocessError) as exc:  # e.g. a compiler that hangs on --version
                raise NativeUnavailable("build-failed", f"the compiled kernel could not be built: {exc}") from exc
            import tensorflow as tf
            try:
                ops = tf.load_op_library(str(path))
            except Exception as exc:  # TensorFlow raises NotFoundError and others: all mean "cannot use it"
                raise NativeUnavailable("load-failed", "the compiled kernel failed to load: "
                                        + first_error_line(str(exc)), str(exc)) from exc
        except NativeUnavailable as exc:
            _failure = exc
            if exc.kind != "not-built" and exc.summary not in _reported:  # once per process: not news each run
                _reported.add(exc.summary)
                logger.warning("native kernel unavailable: %s", exc.summary)
            return None
        _loaded, _loaded_flags, _failure = ops, arch, None
        return ops


def loaded_flags() -> tuple[str, ...] | None:
    """The architecture flags the loaded library was built with (None before a successful load)."""
    return _loaded_flags


def last_failure() -> NativeUnavailable | None:
    """Why the last load() returned None (None after a successful load)."""
    return _failure


def last_error() -> str | None:
    """The full text of the last failure: summary, then the compiler's (or loader's) output."""
    return str(_failure) if _failure is not None else None
