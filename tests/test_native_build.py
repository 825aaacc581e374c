"""The native kernel's build and the backend choice around it.

Flags for other CPU families compile; a failed build is recorded, reported in full and not re-run;
builds are locked; a missing kernel gives a logged, explained fallback, or a clear error when the
kernel was asked for by name. The `cpu_family` cases run the compiler on the real kernel source
(about 15-40 s each, to an object file); `pytest -k "not cpu_family"` skips them.
"""
import logging
import platform
import subprocess
import threading
import time

import pytest

from tests.synthetic import planted_groups
from trainer import CancelToken, ConfigError, TextSource, TrainConfig, backend, native, train
from trainer.__main__ import main as cli_main
from trainer.native import flags
from trainer.native.__main__ import main as native_main

CXX = flags.find_compiler()
needs_cxx = pytest.mark.skipif(CXX is None, reason="no C++ compiler here")
TEXT, _ = planted_groups(n_groups=5, n_lines=200)
CFG = TrainConfig(dim=8, epochs=1, min_count=1, sample=0)
BROKEN = "int probe() { return undefined_name; }\n"
FAILURES = {
    "build-failed": native.NativeUnavailable(
        "build-failed", "the compiled kernel failed to build: PacketMathFP16.h:740:49: error: expected initializer "
        "before '<' token", "PacketMathFP16.h:740:49: error: expected initializer before '<' token\n(more)"),
    "no-compiler": native.NativeUnavailable("no-compiler", "no C++ compiler (g++ or clang++) was found"),
}


@needs_cxx
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 targets need an x86 compiler")
@pytest.mark.parametrize("target", ["sapphirerapids", "znver3", "x86-64-v2"])
def test_cpu_family_flags_compile_the_kernel(target, tmp_path, monkeypatch):
    # The builder's own flag choice, for a CPU we may not have: it must compile the real source.
    monkeypatch.delenv(flags.ARCH_ENV, raising=False)
    if not flags.compiler_accepts(CXX, (f"-march={target}",)):
        pytest.skip(f"{CXX} does not know -march={target}")
    arch = flags.arch_candidates(CXX, target=target, machine="x86_64")[0]
    assert arch[0] == f"-march={target}"
    if flags.compiler_accepts(CXX, ("-mavx512fp16",)):  # gcc >= 12, clang >= 14
        assert "-mno-avx512fp16" in arch  # Eigen's AVX512-FP16 code does not compile under gcc 12
    proc = subprocess.run(native.compile_command(CXX, arch, tmp_path / "kernel.o", object_only=True),
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(arch)}: {native.first_error_line(proc.stderr)}\n{proc.stderr[-3000:]}"


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """native with its own build directory and no state from the real kernel; counts compiler runs."""
    for name, value in {"_loaded": None, "_loaded_flags": None, "_failure": None, "_reported": set()}.items():
        monkeypatch.setattr(native, name, value)
    monkeypatch.setenv(native.DIR_ENV, str(tmp_path / "build"))
    monkeypatch.delenv(flags.ARCH_ENV, raising=False)
    source = tmp_path / "probe.cc"
    monkeypatch.setattr(native, "SOURCE", source)
    compiles, real_run = [], subprocess.run

    def counting_run(cmd, *args, **kwargs):
        if str(source) in cmd:
            compiles.append(cmd)
            time.sleep(0.3)  # widen the window in which a second builder would race
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    return source, compiles


@needs_cxx
def test_failed_build_is_recorded_reported_in_full_and_not_rerun(scratch, caplog):
    source, compiles = scratch
    source.write_text(BROKEN)
    with caplog.at_level(logging.WARNING, logger="trainer.native"):
        assert native.load() is None
    failure = native.last_failure()
    assert failure.kind == "build-failed" and "undefined_name" in failure.summary and "\n" not in failure.summary
    tried = len(compiles)
    assert tried == len(native.plan().attempts) >= 1  # the tuned flags, then the portable retry
    assert native.plan().failure_file.exists()
    assert f"{source}:1" in native.last_error() and "undefined_name" in native.last_error()  # the full output
    assert any(r.levelno == logging.ERROR and "undefined_name" in r.getMessage() for r in caplog.records)
    # Next training: the recorded failure is reported again, without running the compiler.
    native._loaded = None
    assert native.load() is None and len(compiles) == tried
    assert native.last_failure().summary == failure.summary
    # An explicit retry runs it again.
    with pytest.raises(native.NativeUnavailable, match="undefined_name"):
        native.build(retry_failed=True)
    assert len(compiles) == 2 * tried


@needs_cxx
def test_concurrent_builds_compile_once(scratch):
    source, compiles = scratch
    source.write_text('extern "C" int probe() { return 1; }\n')
    barrier, paths = threading.Barrier(2), []

    def builder():
        barrier.wait()
        paths.append(native.build())

    threads = [threading.Thread(target=builder) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(compiles) == 1 and len(set(paths)) == 1 and paths[0].exists()
    assert not list(paths[0].parent.glob("*.tmp*"))  # renamed into place, nothing half-written left


@needs_cxx
def test_native_cli_fails_with_the_compiler_message(scratch, capsys):
    scratch[0].write_text(BROKEN)
    assert native_main([]) == 1
    err = capsys.readouterr().err
    assert "undefined_name" in err and "error: the compiled kernel failed to build" in err


def test_native_cli_without_compiler_warns_or_fails(scratch, monkeypatch, capsys):
    monkeypatch.setattr(flags, "find_compiler", lambda: None)
    assert native_main(["--allow-missing-compiler"]) == 0  # make's set-up goes on, loudly
    assert "WARNING: no C++ compiler" in capsys.readouterr().err
    assert native_main([]) == 2


@needs_cxx
def test_library_name_depends_on_cpu_compiler_flags_and_source(scratch, monkeypatch):
    scratch[0].write_text(BROKEN)
    keys = [native.plan().key]
    monkeypatch.setattr(flags, "cpu_features", lambda: frozenset({"sse2"}))
    keys.append(native.plan().key)
    monkeypatch.setenv(flags.ARCH_ENV, "-march=x86-64 -mtune=generic")
    keys.append(native.plan().key)
    scratch[0].write_text(BROKEN + "// changed\n")
    keys.append(native.plan().key)
    assert len(set(keys)) == 4


def patch_out_kernel(monkeypatch, failure, gpus=()):
    monkeypatch.setattr(native, "load", lambda build_if_missing=True: None)
    monkeypatch.setattr(native, "last_failure", lambda: failure)
    monkeypatch.setattr(backend, "_visible_gpus", lambda: list(gpus))


@pytest.mark.parametrize("kind, cause, fix", [
    ("build-failed", "failed to build: PacketMathFP16.h:740:49: error: expected initializer", "trainer.native"),
    ("no-compiler", "no C++ compiler", "apt install g++"),
], ids=["build-failed", "no-compiler"])
def test_patched_out_kernel_falls_back_loudly(kind, cause, fix, monkeypatch, caplog):
    patch_out_kernel(monkeypatch, FAILURES[kind])
    events, token = [], CancelToken()

    def on_event(ev):
        events.append(ev)
        if ev.kind != "start":
            token.cancel()  # the start event is all this test needs (a stop before step 1 would raise)

    with caplog.at_level(logging.INFO, logger="trainer.backend"):
        result = train(TextSource.from_text(TEXT), CFG, on_event=on_event, cancel=token)
    choice = events[0].backend
    assert events[0].kind == "start" and result.backend == "tf"
    assert (choice.name, choice.device, choice.slower) == ("tf", "/CPU:0", True)
    assert cause in choice.reason and fix in choice.advice
    assert choice.describe().startswith("Training with TensorFlow operations on the CPU: ")
    warned = [r.getMessage() for r in caplog.records if r.name == "trainer.backend" and r.levelno >= logging.WARNING]
    assert warned == [choice.describe()]


@pytest.mark.parametrize("changes, gpus, name, slower, said", [
    (dict(optimizer="adam", lr=0.01), (), "tf", True, "Adam optimizer is not in the compiled kernel"),
    ({}, ("/physical_device:GPU:0",), "tf-gpu", False, "a GPU is visible (/physical_device:GPU:0)"),
    (dict(backend="tf"), (), "tf", False, "you asked for TensorFlow operations"),
], ids=["adam", "gpu", "explicit-tf"])
def test_choice_rules(changes, gpus, name, slower, said, monkeypatch):
    patch_out_kernel(monkeypatch, FAILURES["build-failed"], gpus)
    choice = backend.choose_backend(CFG.replace(**changes))
    assert (choice.name, choice.slower) == (name, slower) and said in choice.reason


def test_explicit_native_without_kernel_is_a_clear_error(monkeypatch, tmp_path, capsys):
    patch_out_kernel(monkeypatch, FAILURES["build-failed"])
    with pytest.raises(ConfigError, match="backend='native' is not available here: the compiled kernel failed"):
        backend.choose_backend(CFG.replace(backend="native"))
    with pytest.raises(ConfigError, match="optimizer='adam'"):
        backend.choose_backend(CFG.replace(backend="native", optimizer="adam"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    assert cli_main([str(corpus), "--out", str(tmp_path / "run"), "--backend", "native", "--min-count", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: backend='native' is not available here")
    assert "expected initializer" in err and not (tmp_path / "run").exists()


def test_preview_without_building_expects_a_kernel_not_built_yet(monkeypatch):
    patch_out_kernel(monkeypatch, native.NativeUnavailable("not-built", "the compiled kernel is not built yet"))
    monkeypatch.setattr(native, "loaded_flags", lambda: None)
    choice = backend.choose_backend(CFG, build=False)
    assert (choice.name, choice.slower) == ("native", False) and "will be built" in choice.reason
