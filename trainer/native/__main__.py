"""python -m trainer.native: compile the native update kernel and check that it loads.

    python -m trainer.native                 # build if needed; retries a recorded failure
    python -m trainer.native --force         # rebuild from scratch
    python -m trainer.native --allow-missing-compiler   # make's set-up: no compiler is a warning, not a failure

Exit status: 0 ready (or no compiler with --allow-missing-compiler), 1 the build or load failed
(the compiler's full output is printed), 2 no compiler.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no CUDA chatter

from . import NativeUnavailable, build, last_error, load, loaded_flags  # noqa: E402

BANNER = "=" * 78


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.native", description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when a build exists")
    ap.add_argument("--allow-missing-compiler", action="store_true",
                    help="exit 0 with a warning when no C++ compiler exists (training then uses TensorFlow ops)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the compiler command lines")
    args = ap.parse_args(argv)
    # The library logs the build (a failure: with the compiler's full output): show that here as plain
    # text, and only for this call (tests run main() in-process).
    log = logging.getLogger("trainer.native")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO if args.verbose else logging.WARNING)
    log.propagate = False
    try:
        return _run(args)
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _run(args: argparse.Namespace) -> int:
    try:
        path = build(force=args.force, retry_failed=True, verbose=args.verbose)
    except NativeUnavailable as exc:
        if exc.kind == "no-compiler":
            print(f"{BANNER}\nWARNING: {exc.summary}.\nTraining will use TensorFlow operations, which are several "
                  "times slower on a CPU.\nInstall a C++ compiler (Debian/Ubuntu: `sudo apt install g++`), then run "
                  f"`python -m trainer.native` or `make native`.\n{BANNER}", file=sys.stderr)
            return 0 if args.allow_missing_compiler else 2
        print(f"error: {exc.summary}", file=sys.stderr)  # the full compiler output was logged just above
        return 1
    if load() is None:
        print(f"error: {last_error()}", file=sys.stderr)
        return 1
    print(f"native kernel ready: {path} (built with {' '.join(loaded_flags() or ()) or 'default flags'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
