"""Training in a background thread, observed by polling one frozen, typed JobView.

    job = TrainingJob(prepared_or_sources, cfg, name="run 1").start()
    ...                              # the UI polls, e.g. once a second:
    view = job.view()                # JobView: status, progress, loss history, snapshots, backend, error
    view.status is JobStatus.RUNNING, f"{view.progress:.0%}", view.history[-1].loss
    job.touch()                      # the poll renews the job's lease (see below)
    job.stop()                       # the job ends with the model so far (partial=True)
    job.result                       # RunResult once view.status is DONE or STOPPED

No UI code runs in the worker: it only writes to this object under its lock, and `view()` hands out an
immutable copy, so a reader never sees half an update.

A server-wide limit (TrainingJob.max_concurrent) queues extra jobs; their status is QUEUED until a slot
frees. A job whose owner stopped polling (a closed browser tab) stops itself once its lease runs out:
a queued or running job created with `lease_s` (the app uses LEASE_SECONDS) that has not been
`touch()`ed for that long is cancelled, so training threads never outlive their sessions for long.
"""
from __future__ import annotations

import enum
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backend import BackendChoice
from .config import ConfigError, TrainConfig
from .events import CancelToken, TrainEvent, TrainingCancelled
from .text_source import CorpusError

logger = logging.getLogger(__name__)

_slots_lock = threading.Lock()

# Longer than browsers' throttling of timers in background tabs (Chrome: one wake-up a minute), so a user
# who looks at another tab keeps the training; short enough that a closed tab frees its slot within minutes.
LEASE_SECONDS = 180.0
# A job given an `owner_alive` check (the app: "is this browser session still connected?") stops once the
# check has said no for this long: long enough to ride out a websocket reconnect, short enough that a
# closed tab frees its training slot within half a minute. The check runs at most every OWNER_CHECK_S.
OWNER_GONE_GRACE_S = 20.0
OWNER_CHECK_S = 1.0
QUEUE_WAIT_SECONDS = 0.5  # how often a queued job re-checks for a free slot (and for its lease)
INTERNAL_ERROR = "internal error: see the server log"


class JobStatus(str, enum.Enum):
    """Where a job is in its life; the str values are what the UI shows."""
    NEW = "new"
    QUEUED = "queued"  # waiting for a free training slot (server-wide limit)
    PREPARING = "preparing"  # scanning / encoding the text (only when not given a Prepared)
    RUNNING = "running"  # training steps
    DONE = "done"
    STOPPED = "stopped"  # stopped by the user or its lease: result is the partial model (or None)
    ERROR = "error"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.STOPPED, JobStatus.ERROR)


@dataclass(frozen=True)
class LossPoint:
    """One point of the loss curve, from a "progress" TrainEvent."""
    progress: float
    loss: float
    words_per_sec: float
    epoch: int
    elapsed_s: float

    def as_row(self) -> dict:
        """The dict explorer.loss_figure reads."""
        return {"progress": self.progress, "loss": self.loss, "words_per_sec": self.words_per_sec,
                "epoch": self.epoch, "elapsed_s": self.elapsed_s}


@dataclass(frozen=True)
class JobError:
    """Why a job failed: `message` is a sentence for the user; `internal` marks a bug (details in the log)."""
    message: str
    internal: bool = False


@dataclass(frozen=True)
class JobView:
    """An immutable copy of a job's state, made under its lock."""
    name: str
    status: JobStatus
    progress: float = 0.0  # fraction of all epochs done
    epoch: int = 0  # 0-based epoch being trained
    loss: float = float("nan")  # the latest smoothed loss
    words_per_sec: float = 0.0
    eta_s: float = float("nan")
    elapsed_s: float = 0.0
    history: tuple[LossPoint, ...] = ()  # every progress event, in order
    snapshots: tuple[tuple[int, np.ndarray], ...] = ()  # newest (epoch, vectors of the top words)
    probe_history: tuple[tuple[int, dict], ...] = ()  # (epoch, TrainEvent.probes) per epoch end that had probes
    summary: dict = field(default_factory=dict)  # the corpus summary from the "start" event (vocab_size, ...)
    backend: BackendChoice | None = None  # the engine chosen and why (None until training starts)
    backend_name: str = ""  # the engine's short name, also when no BackendChoice was reported
    scan_progress: float = 0.0  # while PREPARING: fraction of the text read
    scan_message: str = ""
    error: JobError | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished


class _LeasedToken(CancelToken):
    """A cancel token that also cancels itself once its job's lease ran out (checked wherever the trainer
    checks for a stop: every batch and during the scan)."""

    def __init__(self, job: TrainingJob) -> None:
        super().__init__()
        self._job = job

    @property
    def cancelled(self) -> bool:
        if not self._flag.is_set() and self._job.lease_expired():
            logger.warning("job %r: its page is gone (closed, or no poll for %s s): stopping it",
                           self._job.name, self._job.lease_s)
            self.cancel()
        return self._flag.is_set()


class TrainingJob:
    max_concurrent = 2  # trainings running at once in this process (all sessions)
    keep_snapshots = 3  # newest epoch snapshots kept for the live map
    lease_s: float | None = None  # None: never expires (library use); the app passes LEASE_SECONDS
    _running = 0
    _slot_freed = threading.Condition(_slots_lock)

    def __init__(self, data: Any, config: TrainConfig, name: str = "run", lease_s: float | None = None,
                 owner_alive: Callable[[], bool] | None = None):
        self.data, self.config, self.name = data, config, name
        self._owner_alive = owner_alive  # None: only the lease decides (library use, AppTest)
        self._owner_checked = float("-inf")
        self._owner_gone_since: float | None = None
        if lease_s is not None:
            self.lease_s = lease_s
        self._lock = threading.Lock()
        self.cancel_token = _LeasedToken(self)
        self._touched = time.monotonic()
        self._status = JobStatus.NEW
        self._error: JobError | None = None
        self._last: TrainEvent | None = None
        self._history: list[LossPoint] = []
        self._snapshots: list[tuple[int, np.ndarray]] = []
        self._probes: list[tuple[int, dict]] = []
        self._summary: dict = {}
        self._backend: BackendChoice | None = None
        self._backend_name = ""
        self._scan = (0.0, "")
        self.result = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control
    def start(self) -> TrainingJob:
        self.touch()
        self._thread = threading.Thread(target=self._run, name=f"train-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the worker to stop after the current step; the model so far is kept."""
        self.cancel_token.cancel()

    def touch(self) -> None:
        """Renew the lease: the owner is still watching."""
        with self._lock:
            self._touched = time.monotonic()

    def lease_expired(self) -> bool:
        """True when the owner is gone: no touch() for lease_s, or owner_alive() false for OWNER_GONE_GRACE_S."""
        now = time.monotonic()
        with self._lock:
            if self._status.finished:
                return False
            if self.lease_s is not None and now - self._touched > self.lease_s:
                return True
            if self._owner_alive is None or now - self._owner_checked < OWNER_CHECK_S:
                return self._owner_gone_since is not None and now - self._owner_gone_since > OWNER_GONE_GRACE_S
            self._owner_checked = now
        alive = self._owner_alive()  # outside the lock: it may take the server's own locks
        with self._lock:
            if alive:
                self._owner_gone_since = None
            elif self._owner_gone_since is None:
                self._owner_gone_since = now
            return self._owner_gone_since is not None and now - self._owner_gone_since > OWNER_GONE_GRACE_S

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    @property
    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    @property
    def finished(self) -> bool:
        return self.status.finished

    # ---------------------------------------------------------------- observe
    def view(self) -> JobView:
        """A consistent, immutable copy of the state for the UI."""
        with self._lock:
            ev = self._last
            return JobView(
                name=self.name, status=self._status, progress=ev.progress if ev else 0.0,
                epoch=ev.epoch if ev else 0, loss=ev.loss if ev else math.nan,
                words_per_sec=ev.words_per_sec if ev else 0.0, eta_s=ev.eta_s if ev else math.nan,
                elapsed_s=ev.elapsed_s if ev else 0.0, history=tuple(self._history),
                snapshots=tuple(self._snapshots), probe_history=tuple(self._probes), summary=dict(self._summary),
                backend=self._backend, backend_name=self._backend_name, scan_progress=self._scan[0],
                scan_message=self._scan[1], error=self._error)

    # ---------------------------------------------------------------- worker
    def _set_status(self, status: JobStatus, error: JobError | None = None) -> None:
        with self._lock:
            self._status = status
            if error is not None:
                self._error = error

    def _on_event(self, ev: TrainEvent) -> None:
        with self._lock:
            if ev.kind == "start":
                self._summary = {k: v for k, v in ev.info.items() if k != "backend"}
                self._backend = getattr(ev, "backend", None)  # the backend helper adds TrainEvent.backend
                self._backend_name = self._backend.name if self._backend else str(ev.info.get("backend", ""))
                self._status = JobStatus.RUNNING
                return
            if ev.kind == "progress":
                self._history.append(LossPoint(ev.progress, ev.loss, ev.words_per_sec, ev.epoch, ev.elapsed_s))
            elif ev.kind == "epoch_end":
                if ev.snapshot is not None:
                    self._snapshots.append((ev.epoch, ev.snapshot))
                    del self._snapshots[:-self.keep_snapshots]  # a long run must not pile up copies
                if ev.probes:
                    self._probes.append((ev.epoch, dict(ev.probes)))
            self._last = ev

    def _progress(self, fraction: float, message: str) -> None:
        with self._lock:
            self._scan = (fraction, message)

    def _wait_for_slot(self) -> None:
        cls = type(self)
        with cls._slot_freed:
            self._set_status(JobStatus.QUEUED)
            while cls._running >= cls.max_concurrent and not self.cancel_token.cancelled:
                cls._slot_freed.wait(timeout=QUEUE_WAIT_SECONDS)
            cls._running += 1

    def _run(self) -> None:
        from .loop import train
        cls = type(self)
        self._wait_for_slot()
        try:
            if self.cancel_token.cancelled:
                self._set_status(JobStatus.STOPPED, JobError("stopped before it started"))
                return
            self._set_status(JobStatus.PREPARING)
            result = train(self.data, self.config, on_event=self._on_event, cancel=self.cancel_token,
                           progress=self._progress)
            with self._lock:
                self.result = result
                self._status = JobStatus.STOPPED if result.partial else JobStatus.DONE
        except TrainingCancelled:
            self._set_status(JobStatus.STOPPED, JobError("stopped before it started"))
        except (ConfigError, CorpusError) as exc:  # the user's input or settings: a sentence, no traceback
            logger.info("job %r: %s", self.name, exc)
            self._set_status(JobStatus.ERROR, JobError(str(exc) or type(exc).__name__))
        except Exception:  # a bug: keep the traceback for the operator, tell the user where it went
            logger.exception("job %r failed", self.name)
            self._set_status(JobStatus.ERROR, JobError(INTERNAL_ERROR, internal=True))
        finally:
            self.data = None  # the corpus (possibly hundreds of MB) is not needed once the job has ended
            with cls._slot_freed:
                cls._running -= 1
                cls._slot_freed.notify_all()
