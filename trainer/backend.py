"""Which training engine runs, and why: one typed answer shared by the trainer, the CLI and the app.

    from trainer.backend import choose_backend
    choice = choose_backend(cfg)      # BackendChoice; cheap, creates no model (builds the kernel once)
    choice.name, choice.reason        # "native", "compiled kernel for this CPU ..."
    if choice.slower: print(choice.advice)

The training loop puts the same BackendChoice into its "start" event, the CLI
prints it, and the app shows a warning when `slower` is True.

Rules for backend="auto": a visible GPU -> "tf-gpu"; else SGD with a kernel that
builds and loads -> "native"; else "tf", slower=True, with the reason (Adam is
not in the kernel, no compiler, or the build failed: its first error line) and
what to install. backend="native" where the kernel cannot run raises
BackendUnavailable (a ConfigError: the CLI exits 2 with its one line).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .config import ConfigError, TrainConfig


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. a container's share), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BackendChoice:
    name: str  # "native" (compiled kernel), "tf" (TensorFlow ops on CPU) or "tf-gpu" (TensorFlow ops on a GPU)
    device: str  # TensorFlow device the matrices live on: "/CPU:0" or "/GPU:0"
    reason: str  # one plain sentence: why this engine was picked for this config on this machine
    slower: bool  # True when this is a fallback that trains slower than the fast path would here
    advice: str = ""  # what the user can install or change to get the fast path ("" when nothing)

    def describe(self) -> str:
        """A sentence for people: which engine, why, and what to do about a slow fallback."""
        engines = {"native": "the compiled word2vec kernel on the CPU",
                   "tf": "TensorFlow operations on the CPU",
                   "tf-gpu": "TensorFlow operations on the GPU"}
        text = f"Training with {engines.get(self.name, self.name)}: {self.reason}"
        if self.advice:
            text += f" {self.advice}"
        return text


class BackendUnavailable(ConfigError):
    """backend="native" was asked for where the compiled kernel cannot run; the message says why and what to do."""


ADVICE_NO_COMPILER = ("Install a C++ compiler (Debian/Ubuntu: `sudo apt install g++`; macOS: "
                      "`xcode-select --install`), then run `python -m trainer.native` (or `make native`) "
                      "for the faster compiled kernel.")
ADVICE = {
    "no-compiler": ADVICE_NO_COMPILER,
    "not-built": "Run `python -m trainer.native` (or `make native`) to build the faster compiled kernel.",
    "build-failed": "Run `python -m trainer.native` to retry the build and see the full compiler error.",
    "load-failed": "Rebuild it with `python -m trainer.native --force`.",
}
ADVICE_ADAM = "Choose the SGD optimizer (word2vec's own) to train with the faster compiled kernel."


def _visible_gpus() -> list[str]:
    """Names of the GPUs TensorFlow can use (imports TensorFlow)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return [d.name for d in tf.config.list_physical_devices("GPU")]


def _kernel_failure(build: bool):
    """None when the compiled kernel is loaded (built first if `build`), else why not (NativeUnavailable);
    without `build`, a kernel not built yet (and not failed) counts as available: training builds it."""
    from . import native
    if native.load(build_if_missing=build) is not None:
        return None
    failure = native.last_failure()
    return None if failure is not None and failure.kind == "not-built" else failure


def _native_choice(reason: str) -> BackendChoice:
    from . import native
    flags = native.loaded_flags()
    how = f"it is built for this CPU with {' '.join(flags) or 'default flags'}" if flags is not None else \
        "it will be built for this CPU when training starts (once, about a minute)"
    return BackendChoice("native", "/CPU:0", f"{reason}; {how}.", slower=False)


def choose_backend(cfg: TrainConfig, build: bool = True) -> BackendChoice:
    """Which engine trains `cfg` here, and why. Creates no model; builds the kernel on first use
    unless build=False (for a quick preview: then a kernel not built yet is assumed to build).

    Raises BackendUnavailable when cfg.backend is "native" and the kernel cannot run for this config."""
    if cfg.backend == "native":
        if cfg.optimizer != "sgd":
            raise BackendUnavailable(f"backend='native' is not allowed with optimizer={cfg.optimizer!r}: the compiled "
                                     "kernel implements word2vec's SGD only; choose optimizer 'sgd', or backend "
                                     "'auto' or 'tf'.")
        failure = _kernel_failure(build)
        if failure is not None:
            raise BackendUnavailable(f"backend='native' is not available here: {failure.summary}. "
                                     f"{ADVICE.get(failure.kind, '')} Or choose backend 'auto' or 'tf'.")
        return _native_choice("you asked for the compiled kernel (backend='native')")
    gpus = _visible_gpus()
    if cfg.backend == "tf":
        where = f"; a GPU is visible ({gpus[0]})" if gpus else ""
        return BackendChoice("tf-gpu" if gpus else "tf", "/GPU:0" if gpus else "/CPU:0",
                             f"you asked for TensorFlow operations (backend='tf'){where}.", slower=False)
    if gpus:
        return BackendChoice("tf-gpu", "/GPU:0", f"a GPU is visible ({gpus[0]}).", slower=False)
    if cfg.optimizer != "sgd":
        return BackendChoice("tf", "/CPU:0", f"the {cfg.optimizer.capitalize()} optimizer is not in the compiled "
                             "kernel, which implements word2vec's SGD.", slower=True, advice=ADVICE_ADAM)
    failure = _kernel_failure(build)
    if failure is None:
        return _native_choice("no GPU is visible")
    return BackendChoice("tf", "/CPU:0", f"{failure.summary}.", slower=True, advice=ADVICE.get(failure.kind, ""))
