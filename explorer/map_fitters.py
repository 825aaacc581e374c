"""How each map method turns unit vectors into coordinates: PCA, UMAP (with its progress and fit slots), t-SNE.

    coords, ratio = pca_coords(X, dims=2)                        # float32 [N, 2], explained-variance ratios
    coords = fit_umap(X, 2, {"n_neighbors": 15, "min_dist": 0.1, "seed": 0}, progress=None)
    warm_up_umap()                                               # compile numba ahead (app start-up)

explorer.projection calls these from its FitJob threads (umap_coords / tsne_coords report only to a
FitProgress); explorer.stable uses fit_umap for maps that follow training. Nothing here caches:
projection.MAP_CACHE does that.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
import time
import warnings
from typing import Any

import numpy as np

from .fitjob import FitCancelled, FitJob, FitProgress, ProgressFn, wait_for

logger = logging.getLogger(__name__)


def pca_coords(X: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(coords float32 [N, dims], explained-variance ratios) of centred X; signs fixed (largest loading > 0)."""
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    if Xc.shape[0] > Xc.shape[1]:
        evals, evecs = np.linalg.eigh(Xc.T @ Xc)
        order = np.argsort(evals)[::-1]
        evals, evecs = np.clip(evals[order], 0, None), evecs[:, order]
    else:
        _, s, vt = np.linalg.svd(Xc, full_matrices=False)
        evals, evecs = s**2, vt.T
    k = min(dims, evecs.shape[1])
    comps = evecs[:, :k]
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(k)])
    comps = comps * np.where(signs == 0, 1.0, signs)
    coords = np.zeros((X.shape[0], dims))
    coords[:, :k] = Xc @ comps
    total = float(evals.sum())
    ratio = evals[:k] / total if total > 0 else np.zeros(k)
    return coords.astype(np.float32), ratio


def import_umap() -> Any:
    """umap.UMAP without dragging in TensorFlow/Keras (umap's __init__ imports ParametricUMAP when TF is
    installed; the explorer never needs it, and `import umap.parametric_umap` still works afterwards)."""
    block = "umap" not in sys.modules
    if block:
        sys.modules.setdefault("umap.parametric_umap", None)  # type: ignore[arg-type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap
    finally:
        if block and "umap.parametric_umap" in sys.modules and sys.modules["umap.parametric_umap"] is None:
            del sys.modules["umap.parametric_umap"]
    return umap.UMAP


def warm_up_umap(large: bool = True, timeout: float | None = 300.0) -> float:
    """Compile UMAP's numba code now (e.g. in a background thread when the app starts) so the first real map
    does not pay it: a 60-point fit (exact neighbours, below 4,096 words) and, with large=True, a 4,200-point
    fit of 2 epochs (NN-descent, used from 4,096 words on; its compilation alone takes ~20-30 s on 2 cores).
    Returns the seconds spent. Safe to call more than once (later calls are quick), and at the same time as
    real maps (numba compiles under its own lock). TimeoutError after `timeout` seconds per fit."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for n, epochs in ((60, 10), (4200, 2)) if large else ((60, 10),):
        X = rng.standard_normal((n, 8)).astype(np.float32)
        fit_umap(X / np.linalg.norm(X, axis=1, keepdims=True), 2,
                  {"n_neighbors": 15, "min_dist": 0.1, "seed": 0, "n_epochs": epochs}, None, timeout=timeout)
    return time.perf_counter() - t0


class EpochProgress:
    """A file-like sink for UMAP's tqdm bar: turns 'n/total' into FitProgress updates.

    tqdm calls write() while holding its global lock (without try/finally), so write() must never raise: it only
    parses text and updates a plain object, and anything unexpected is logged."""

    _NT = re.compile(r"(\d+)/(\d+)")

    def __init__(self, progress: FitProgress, lo: float, hi: float, label: str):
        self.progress, self.lo, self.hi, self.label = progress, lo, hi, label

    def write(self, text: str) -> int:
        try:
            found = self._NT.findall(text)
            if found:
                done, total = (int(x) for x in found[-1])
                if total > 0:
                    self.progress.update(self.lo + (self.hi - self.lo) * done / total,
                                         f"{self.label}: epoch {done}/{total}")
        except Exception:  # never into tqdm (see the class doc)
            logger.exception("could not read UMAP's progress line %r", text)
        return len(text)

    def flush(self) -> None:
        pass


def _parallel_fit_slots() -> int:
    """How many UMAP fits may run at once. Numba's "omp" and "tbb" threading layers are thread-safe, so two
    fits (e.g. two browser sessions) may overlap; its fallback "workqueue" layer aborts the process when two
    threads enter parallel code at once, so without omp/tbb fits take turns. (Compilation needs nothing from
    us: numba serialises it under its own global compiler lock.)"""
    for layer in ("omppool", "tbbpool"):
        try:
            __import__(f"numba.np.ufunc.{layer}")
            return 2
        except ImportError:
            continue
    logger.warning("numba has no thread-safe threading layer (omp/tbb): UMAP maps are computed one at a time")
    return 1


_FIT_SLOTS: threading.BoundedSemaphore | None = None  # created on first use (importing numba is slow)
_SLOTS_INIT = threading.Lock()
SLOT_TIMEOUT = 900.0  # seconds a fit waits for a free slot before giving up with a clear error


def _acquire_slot(fp: FitProgress, label: str) -> threading.BoundedSemaphore:
    """Wait in the fit's own thread (never the caller's) for a UMAP slot; gives up when cancelled or after
    SLOT_TIMEOUT. The caller of compute_map never holds this: it only polls."""
    global _FIT_SLOTS
    with _SLOTS_INIT:
        if _FIT_SLOTS is None:
            _FIT_SLOTS = threading.BoundedSemaphore(_parallel_fit_slots())
        slots = _FIT_SLOTS
    t0 = time.monotonic()
    while not slots.acquire(timeout=0.25):
        fp.update(0.0, f"{label}: waiting for another map to finish")
        if fp.is_cancelled():
            raise FitCancelled(f"{label} was cancelled while waiting for another map")
        if time.monotonic() - t0 > SLOT_TIMEOUT:
            raise TimeoutError(f"{label} waited {SLOT_TIMEOUT:.0f} s for another map to finish")
    return slots


def fit_umap(X: np.ndarray, dims: int, params: dict[str, Any], progress: ProgressFn | None,
              init: np.ndarray | None = None, learning_rate: float | None = None,
              timeout: float | None = None) -> np.ndarray:
    """UMAP coordinates of X (rows unit-normalised), fitted in a FitJob thread; `progress` is called from this
    thread (see the module doc). Used by StableMapper."""
    job = FitJob.start(lambda fp: umap_coords(X, dims, params, fp, init, learning_rate),
                       name=f"UMAP of {X.shape[0]:,} words")
    return wait_for(job, progress, timeout)


def umap_coords(X: np.ndarray, dims: int, params: dict[str, Any], fp: FitProgress,
                 init: np.ndarray | None = None, learning_rate: float | None = None) -> np.ndarray:
    """The fit itself; runs in a FitJob thread and reports only to `fp`."""
    UMAP = import_umap()
    kw: dict[str, Any] = {"n_components": dims, "n_neighbors": params["n_neighbors"], "min_dist": params["min_dist"],
                          "metric": "cosine", "random_state": params["seed"], "low_memory": True, "verbose": False}
    if params.get("n_epochs"):
        kw["n_epochs"] = params["n_epochs"]
    if init is not None:
        kw["init"] = init
    if learning_rate is not None:
        kw["learning_rate"] = learning_rate
    kw["tqdm_kwds"] = {"disable": False, "file": EpochProgress(fp, 0.3, 0.98, "UMAP"), "mininterval": 0.2,
                       "ascii": True}
    slots = _acquire_slot(fp, "UMAP")
    try:
        fp.update(0.02, f"UMAP: finding the nearest neighbours of {X.shape[0]:,} words")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n_jobs/random_state notices, small-graph spectral fallbacks
            return np.asarray(UMAP(**kw).fit_transform(X), dtype=np.float32)
    finally:
        slots.release()


def tsne_coords(X: np.ndarray, dims: int, params: dict[str, Any], fp: FitProgress) -> np.ndarray:
    from sklearn.manifold import TSNE

    fp.update(0.02, f"t-SNE of {X.shape[0]:,} words (no progress until it ends)")
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    tsne = TSNE(n_components=dims, perplexity=params["perplexity"], init="pca", learning_rate="auto",
                random_state=params["seed"], method="barnes_hut")
    # On small inputs OpenMP start-up and spinning cost more than the gradient itself (seconds on a busy machine).
    with threadpool_limits(limits=1 if X.shape[0] <= 2000 else None, user_api="openmp"):
        return np.asarray(tsne.fit_transform(np.asarray(X, dtype=np.float32)), dtype=np.float32)
