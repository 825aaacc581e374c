"""Progress events and the cancel token shared by the training loop and its callers.

    token = CancelToken()
    def on_event(ev: TrainEvent):
        print(ev.kind, ev.epoch, f"{ev.progress:.0%}", ev.loss, ev.words_per_sec, ev.eta_s)
    result = train(sources, cfg, on_event=on_event, cancel=token)   # token.cancel() from any thread

Kinds: "start" (vocabulary ready; `backend` says which engine trains and why),
"progress" (every cfg.report_every steps), "epoch_end" (with `snapshot` when
cfg.snapshot_top > 0), "done" (also after a cancel; then `partial` is True).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .backend import BackendChoice


@dataclass
class TrainEvent:
    kind: str  # "start" | "progress" | "epoch_end" | "done"
    epoch: int = 0  # 0-based epoch being trained (for "epoch_end": the one just finished)
    step: int = 0  # training steps so far
    progress: float = 0.0  # fraction of all epochs done, 0..1
    loss: float = float("nan")  # mean loss per example since the previous event (smoothed)
    words_per_sec: float = 0.0  # raw corpus words per second since training started
    eta_s: float = float("nan")  # estimated seconds left
    lr: float = 0.0  # current learning rate
    elapsed_s: float = 0.0  # seconds since training started
    partial: bool = False  # "done" after a cancel
    snapshot: np.ndarray | None = field(default=None, repr=False)  # [snapshot_top, dim] on epoch_end
    # epoch_end with cfg.probe_words: probe word -> its top neighbours [(word, cosine)]
    probes: dict[str, list[tuple[str, float]]] | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict)  # "start": vocab_size, tokens, pairs_per_epoch estimate, backend
    backend: BackendChoice | None = None  # "start": which engine trains and why (slower/advice on a fallback)


EventCallback = Callable[[TrainEvent], None]


class TrainingCancelled(Exception):
    """Raised by prepare()/train() when a stop arrives before any training step ran (e.g. during the scan)."""


class CancelToken:
    """Thread-safe stop flag: training returns the model trained so far."""

    def __init__(self) -> None:
        self._flag = threading.Event()

    def cancel(self) -> None:
        self._flag.set()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()
