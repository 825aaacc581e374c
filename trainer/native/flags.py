"""Which compiler and which architecture flags build the kernel on this machine.

    from trainer.native import flags
    cxx = flags.find_compiler()                    # "/usr/bin/g++", or None
    flags.arch_candidates(cxx)                     # [("-march=native", "-mno-avx512fp16"), ("-march=x86-64-v3",)]
    flags.arch_candidates(cxx, "sapphirerapids", machine="x86_64")   # what a CPU we don't have would get

The first candidate is tuned for the CPU, the next ones are portable retries. The tests compile the
first candidate for several CPU families, so one we cannot run on cannot break the build again.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from functools import cache
from pathlib import Path

ARCH_ENV = "WORD2VEC_NATIVE_ARCH"  # e.g. "-march=x86-64-v3": replaces the automatic flag choice
# Extensions whose code in TensorFlow's bundled Eigen does not compile everywhere. avx512fp16 (Sapphire
# Rapids and later): PacketMathFP16.h fails under gcc 12 ("expected initializer before '<'") and clang 14
# ("no function template matches ... predux_half_dowto4"). The kernel gains nothing from them, so they
# are switched off wherever the compiler knows the flag.
EIGEN_BROKEN_EXTENSIONS = ("avx512fp16",)
# /proc/cpuinfo names of what x86-64-v3 / -v2 require (abm = LZCNT).
X86_64_V3 = frozenset({"avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "xsave"})
X86_64_V2 = frozenset({"ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf_lm"})


def find_compiler() -> str | None:
    """Path of the C++ compiler: $CXX, else g++, c++ or clang++; None when there is none."""
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and (path := shutil.which(name)):
            return path
    return None


@cache
def compiler_version(cxx: str) -> str:
    proc = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=60)
    return (proc.stdout.strip().splitlines() or ["unknown"])[0]


@cache
def compiler_accepts(cxx: str, flags: tuple[str, ...]) -> bool:
    """Whether `cxx` takes these flags: a trial compile of a one-line program (tens of ms)."""
    proc = subprocess.run([cxx, *flags, "-x", "c++", "-fsyntax-only", "-"], input="int main() { return 0; }\n",
                          capture_output=True, text=True, timeout=60)
    return proc.returncode == 0


def cpu_features() -> frozenset[str]:
    """This CPU's instruction-set flags (Linux: /proc/cpuinfo "flags" or "Features")."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset(filter(None, (platform.machine(), platform.processor())))  # macOS: best effort


def arch_candidates(cxx: str, target: str = "native", machine: str | None = None,
                    features: frozenset[str] | None = None) -> list[tuple[str, ...]]:
    """Architecture flags to try, best first: `target` with the Eigen-breaking extensions switched
    off, then a portable baseline this CPU (`features`, default: this one) can run."""
    if override := os.environ.get(ARCH_ENV, "").strip():
        return [tuple(override.split())]
    machine = (machine or platform.machine()).lower()
    feats = cpu_features() if features is None else features
    out: list[tuple[str, ...]] = []
    if machine in ("x86_64", "amd64", "i386", "i686"):
        march = f"-march={target}"
        if compiler_accepts(cxx, (march,)):
            off = [f"-mno-{ext}" for ext in EIGEN_BROKEN_EXTENSIONS if compiler_accepts(cxx, (march, f"-mno-{ext}"))]
            out.append((march, *off))
        level = "x86-64-v3" if X86_64_V3 <= feats else "x86-64-v2" if X86_64_V2 <= feats else None
        out.append((f"-march={level}",) if level and compiler_accepts(cxx, (f"-march={level}",)) else ())
    else:  # aarch64, ppc64le, ...: gcc and clang spell "this CPU" -mcpu there
        flag = f"-mcpu={target}"
        if compiler_accepts(cxx, (flag,)):
            out.append((flag,))
        out.append(())
    return list(dict.fromkeys(out))  # drop a repeated baseline, keep the order
