"""Training in a background thread, observed by polling a plain Python object.

    job = TrainingJob(prepared_or_sources, cfg, name="run 1").start()
    ...                              # the UI polls, e.g. once a second:
    view = job.view()                # dict copy: status, progress, loss history, snapshots, error
    job.stop()                       # the job ends with the model so far (partial=True)
    job.result                       # RunResult once status is "done" or "stopped"

No UI code runs in the worker: it only writes to this object under a lock.
A server-wide limit (TrainingJob.max_concurrent) queues extra jobs; their
status is "queued" until a slot frees.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from .config import TrainConfig
from .events import CancelToken, TrainEvent

_slots_lock = threading.Lock()


class TrainingJob:
    max_concurrent = 2  # trainings running at once in this process (all sessions)
    keep_snapshots = 3  # newest epoch snapshots kept for the live map
    _running = 0
    _slot_freed = threading.Condition(_slots_lock)

    def __init__(self, data: Any, config: TrainConfig, name: str = "run"):
        self.data, self.config, self.name = data, config, name
        self.cancel_token = CancelToken()
        self._lock = threading.Lock()
        self.status = "new"  # new | queued | preparing | running | done | stopped | error
        self.error: str | None = None
        self.last: TrainEvent | None = None
        self.history: list[dict] = []
        self.snapshots: list[tuple[int, np.ndarray]] = []  # newest (epoch, vectors of the top words)
        self.info: dict = {}
        self.result = None
        self.started_at = time.time()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control
    def start(self) -> TrainingJob:
        self._thread = threading.Thread(target=self._run, name=f"train-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the worker to stop after the current step; the model so far is kept."""
        self.cancel_token.cancel()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "error")

    # ---------------------------------------------------------------- observe
    def view(self) -> dict:
        """A consistent copy of the state for the UI."""
        with self._lock:
            ev = self.last
            return {
                "name": self.name, "status": self.status, "error": self.error, "info": dict(self.info),
                "progress": ev.progress if ev else 0.0, "epoch": ev.epoch if ev else 0,
                "loss": ev.loss if ev else float("nan"), "words_per_sec": ev.words_per_sec if ev else 0.0,
                "eta_s": ev.eta_s if ev else float("nan"), "lr": ev.lr if ev else 0.0,
                "elapsed_s": ev.elapsed_s if ev else 0.0,
                "history": list(self.history), "snapshots": list(self.snapshots),
            }

    # ---------------------------------------------------------------- worker
    def _on_event(self, ev: TrainEvent) -> None:
        with self._lock:
            if ev.kind == "start":
                self.info = ev.info
                self.status = "running"
            elif ev.kind == "progress":
                self.history.append({"progress": ev.progress, "loss": ev.loss, "words_per_sec": ev.words_per_sec,
                                     "epoch": ev.epoch})
            elif ev.kind == "epoch_end" and ev.snapshot is not None:
                self.snapshots.append((ev.epoch, ev.snapshot))
                del self.snapshots[:-self.keep_snapshots]  # a long run must not pile up copies
            if ev.kind != "start":
                self.last = ev

    def _progress(self, fraction: float, message: str) -> None:
        with self._lock:
            self.info = {**self.info, "scan_progress": fraction, "scan_message": message}

    def _run(self) -> None:
        from .loop import train
        cls = type(self)
        with cls._slot_freed:
            self.status = "queued"
            while cls._running >= cls.max_concurrent and not self.cancel_token.cancelled:
                cls._slot_freed.wait(timeout=0.5)
            cls._running += 1
        try:
            if self.cancel_token.cancelled:
                self.status = "stopped"
                self.error = "stopped before it started"
                return
            self.status = "preparing"
            result = train(self.data, self.config, on_event=self._on_event, cancel=self.cancel_token,
                           progress=self._progress)
            with self._lock:
                self.result = result
                self.status = "stopped" if result.partial else "done"
        except Exception as exc:  # shown to the user as a sentence, never a traceback
            with self._lock:
                self.error = str(exc) or type(exc).__name__
                self.status = "error"
        finally:
            with cls._slot_freed:
                cls._running -= 1
                cls._slot_freed.notify_all()
