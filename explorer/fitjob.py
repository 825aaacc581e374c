"""Long fits (UMAP, t-SNE, PCA) in their own thread, reporting to a plain progress object.

    from explorer.fitjob import FitJob, wait_for

    job = FitJob.start(lambda progress: slow_fit(progress), name="UMAP of 5,000 words")
    job.progress.snapshot()            # (fraction, message): safe from any thread, never blocks for long
    job.done(), job.wait(0.2)          # poll
    result = job.result(timeout=60)    # the fit's return value; re-raises its error; TimeoutError
    wait_for(job, progress=lambda f, msg: bar.progress(f, msg))   # poll + call back from *this* thread
    job.cancel()                       # a fit that has not started yet is dropped (FitCancelled)

The fit function receives the job's FitProgress and calls `progress.update(fraction, message)`; that is all
it may do to report. User callbacks (which may raise: Streamlit raises its rerun exception from st.progress)
only ever run in the waiting thread, inside `wait_for`, holding no lock, so they can never raise into library
code (issue 10.1: an exception raised through tqdm leaked tqdm's global lock and froze the server).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]


class FitCancelled(RuntimeError):
    """The fit was cancelled before it started."""


@dataclass(eq=False)
class FitProgress:
    """Where one fit stands. Written by the fit's thread, read by any thread; each access holds the lock briefly.

    fraction: 0..1; message: one line for a progress bar; cancelled: set by cancel() (a fit checks it at its
    safe points, see FitJob.cancel)."""

    fraction: float = 0.0
    message: str = ""
    cancelled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, fraction: float, message: str) -> None:
        with self._lock:
            self.fraction, self.message = min(max(float(fraction), 0.0), 1.0), str(message)

    def snapshot(self) -> tuple[float, str]:
        with self._lock:
            return self.fraction, self.message

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True

    def resume(self) -> None:
        with self._lock:
            self.cancelled = False

    def is_cancelled(self) -> bool:
        with self._lock:
            return self.cancelled


class FitJob:
    """One fit running in a daemon thread. `start` runs fn(progress) there; `finished` wraps a known result."""

    def __init__(self, name: str = "fit", progress: FitProgress | None = None):
        self.name = name
        self.progress = progress or FitProgress()
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._waiters = 0
        self.on_finish: Callable[[FitJob], None] | None = None  # called in the fit's thread when it ends

    @classmethod
    def start(cls, fn: Callable[[FitProgress], Any], name: str = "fit",
              on_finish: Callable[[FitJob], None] | None = None) -> FitJob:
        return cls(name).launch(fn, on_finish)

    def launch(self, fn: Callable[[FitProgress], Any], on_finish: Callable[[FitJob], None] | None = None) -> FitJob:
        """Run fn(self.progress) in a new daemon thread (once per job)."""
        self.on_finish = on_finish
        threading.Thread(target=self._run, args=(fn,), name=f"fit: {self.name}", daemon=True).start()
        return self

    @classmethod
    def finished(cls, result: Any, message: str, name: str = "fit") -> FitJob:
        job = cls(name)
        job._result = result
        job.progress.update(1.0, message)
        job._done.set()
        return job

    def _run(self, fn: Callable[[FitProgress], Any]) -> None:
        try:
            if self.progress.is_cancelled():
                raise FitCancelled(f"{self.name} was cancelled before it started")
            self._result = fn(self.progress)
        except BaseException as e:  # handed to whoever asks for the result; the thread itself ends quietly
            self._error = e
            if isinstance(e, FitCancelled):
                logger.info("%s", e)
            else:
                logger.warning("%s failed: %s: %s", self.name, type(e).__name__, e)
        finally:
            try:
                if self.on_finish is not None:
                    self.on_finish(self)
            except Exception:  # a bookkeeping hook must not hide the fit's own outcome
                logger.exception("the finish hook of %s raised", self.name)
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the fit has ended (result or error)."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.name} is still running after {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        return self._result

    @property
    def error(self) -> BaseException | None:
        return self._error

    def cancel(self) -> None:
        """Ask the fit to stop at its next safe point. A fit waiting for a free slot gives up; a UMAP fit that
        is optimising runs to the end (umap/tqdm offer no safe way to stop it) and its result is still cached."""
        self.progress.cancel()

    def attach(self) -> None:
        """A caller starts waiting (a job joined again is no longer cancelled)."""
        with self._lock:
            self._waiters += 1
            self.progress.resume()

    def detach(self) -> None:
        """A caller stops waiting; with no one left waiting, an unfinished fit is cancelled."""
        with self._lock:
            self._waiters -= 1
            if self._waiters <= 0 and not self.done():
                self.progress.cancel()


def wait_for(job: FitJob, progress: ProgressFn | None = None, timeout: float | None = None,
             poll: float = 0.05, heartbeat: float | None = 0.5) -> Any:
    """Wait for `job` in this thread, calling progress(fraction, message) whenever the job's progress changes,
    and at least every `heartbeat` seconds even when it does not (UMAP's neighbour search reports nothing for a
    while; Streamlit can only deliver a click to a script that calls st.*, e.g. the bar's st.progress).

    An exception raised by `progress` (e.g. Streamlit's rerun exception) is logged here and re-raised to the
    caller; the fit itself goes on in its own thread. TimeoutError after `timeout` seconds (the fit goes on)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    job.attach()
    try:
        last: tuple[float, str] | None = None
        called = time.monotonic()
        while True:
            step = poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic()))
            ended = job.wait(step)
            snap = job.progress.snapshot()
            due = heartbeat is not None and time.monotonic() - called >= heartbeat
            if progress is not None and (snap != last or due) and (snap[1] or ended) and job.error is None:
                last, called = snap, time.monotonic()
                try:
                    progress(*snap)
                except BaseException as e:
                    logger.info("the progress callback for %s raised %s; stopped waiting (the fit goes on in "
                                "its own thread)", job.name, type(e).__name__)
                    raise
            if ended:
                return job.result(0)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{job.name} is still running after {timeout:.0f} s")
    finally:
        job.detach()
