"""Maps of word vectors: UMAP, PCA, t-SNE (2D/3D), computed off the caller's thread, with an LRU cache.

    from explorer import compute_map, start_map, warm_up_umap

    m = compute_map(vec, "umap", n_words=5000, dims=2, n_neighbors=15, min_dist=0.1, seed=0,
                    progress=lambda fraction, message: bar.progress(fraction, message))
    m.words, m.coords        # the 5,000 most frequent words and float32 [5000, 2] coordinates
    m.note                   # "UMAP of the 5,000 most frequent of 71,290 words" (title text for the figure)
    compute_map(vec, "umap", n_words=5000)   # same fingerprint, method and parameters: cached, no refit

    job = start_map(vec, "umap", n_words=5000)   # or poll yourself: returns at once
    job.progress.snapshot()                      # (fraction, message), safe to read from any thread
    m = job.result(timeout=600)                  # the MapResult (raises the fit's error, TimeoutError)

    warm_up_umap()                                        # at app start, in a thread: compile numba ahead

Maps always cover the top-N words by frequency (the first N rows of the Vectors), N chosen by the caller. The
only caps are METHOD_LIMITS (UMAP 50,000 words, t-SNE 20,000): when one applies, `MapResult.note` says so, and
nothing is sampled silently. Every map is computed on the unit-normalised vectors (cosine geometry; UMAP uses
metric="cosine"). Results are kept in MAP_CACHE (an explorer.cache.LRUCache) keyed by (Vectors.fingerprint,
method, number of words, dims, effective parameters).

Why fits run in their own thread (issue 10.1): a progress callback that raises (Streamlit raises its rerun
exception from st.progress when the user clicks elsewhere) must never raise inside library code. UMAP reports
epochs through tqdm, and tqdm.refresh() holds tqdm's global lock without try/finally, so an exception there
leaked the lock and froze every later fit in the process. Now each fit runs in a MapJob thread and writes its
progress to a FitProgress (a plain object with a lock) and nothing else; the caller's thread polls it and calls
`progress(fraction, message)` itself, between polls, holding no lock. An exception from the callback is logged
and re-raised to the caller (a rerun must still happen); the fit carries on in its thread and its result lands
in the cache, so asking again for the same map joins the running fit or gets the cached result. A running UMAP
fit cannot be stopped half-way (neither umap nor tqdm has a safe hook); `cancel()` drops a fit that has not
started yet. Maps of successive training snapshots that do not jump around: explorer.stable.StableMapper.
The fits themselves (PCA, UMAP with its progress sink and fit slots, t-SNE) live in explorer.map_fitters.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .cache import LRUCache
from .clusters import kmeans_clusters  # noqa: F401  (re-exported: it used to live here)
from .fitjob import FitJob, FitProgress, ProgressFn, wait_for
from .map_fitters import fit_umap, import_umap, pca_coords, tsne_coords, umap_coords, warm_up_umap  # noqa: F401

if TYPE_CHECKING:
    from .vectors import Vectors

logger = logging.getLogger(__name__)
METHODS = ("umap", "pca", "tsne")
METHOD_LABELS = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
METHOD_LIMITS = {"umap": 50_000, "tsne": 20_000, "pca": 10_000_000}
MIN_WORDS = {"umap": 10, "tsne": 10, "pca": 2}


@dataclass(frozen=True, eq=False)
class MapResult:
    """Coordinates of `words` (the top-N by frequency) from one projection. Arrays are read-only."""

    words: tuple[str, ...]
    coords: np.ndarray  # float32 [N, dims]
    method: str  # "umap", "pca" or "tsne"
    params: dict[str, Any]  # effective parameters (after clamping to the data size)
    total_words: int  # V, the size of the vocabulary the words were taken from
    counts: np.ndarray | None = None  # int64 [N] or None
    requested: int | None = None  # how many words the caller asked for
    seconds: float = 0.0  # fit time
    info: dict[str, Any] = field(default_factory=dict)  # PCA: explained_variance; StableMapper: step, mean_shift
    source_name: str = ""

    @property
    def n(self) -> int:
        return len(self.words)

    @property
    def dims(self) -> int:
        return int(self.coords.shape[1])

    @property
    def capped(self) -> bool:
        """True when the map shows fewer words than the vocabulary holds."""
        return self.n < self.total_words

    @property
    def method_limited(self) -> bool:
        """True when METHOD_LIMITS, not the caller, decided how many words are shown."""
        return self.requested is not None and self.requested > self.n == METHOD_LIMITS.get(self.method)

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def note(self) -> str:
        """One line stating what is shown, e.g. 'UMAP of the 5,000 most frequent of 71,290 words'."""
        what = self.label + (" (aligned to the previous snapshot)" if self.info.get("aligned") else "")
        if self.capped:
            text = f"{what} of the {self.n:,} most frequent of {self.total_words:,} words"
        else:
            text = f"{what} of all {self.n:,} words"
        if self.method_limited:
            text += f"; {self.label} is limited to {METHOD_LIMITS[self.method]:,} words here"
        return text

    def axis_titles(self) -> list[str]:
        if self.method == "pca":
            ev = list(self.info.get("explained_variance", []))
            return [f"PC{i + 1}" + (f" ({ev[i]:.1%} of variance)" if i < len(ev) else "") for i in range(self.dims)]
        return [f"{self.label} {i + 1}" for i in range(self.dims)]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    def index_of(self, word: str) -> int | None:
        """Row of `word` in this map, or None when it is not mapped."""
        return self._index.get(word)


class MapCache(LRUCache):
    """explorer.cache.LRUCache (the project's one cache) with a default size, kept as a name for older callers."""

    def __init__(self, maxsize: int = 32):
        super().__init__(maxsize)


MAP_CACHE = MapCache()


def _frozen(coords: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(coords, dtype=np.float32)
    out.setflags(write=False)
    return out


# ================================================================ compute_map / start_map
def compute_map(vectors: Vectors, method: str = "umap", n_words: int = 5000, dims: int = 2, *,
                seed: int | None = 0, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int | None = None,
                perplexity: float = 30.0, progress: ProgressFn | None = None,
                cache: LRUCache | None = MAP_CACHE, timeout: float | None = None) -> MapResult:
    """Project the `n_words` most frequent words to `dims` (2 or 3) dimensions with "umap", "pca" or "tsne".

    UMAP: n_neighbors, min_dist, n_epochs (None: UMAP's default), metric cosine. t-SNE: perplexity (clamped to
    (N-1)/3). seed=None is faster for UMAP (parallel) but not reproducible. cache=None disables caching.
    progress(fraction, message) is called from this thread while the fit runs in its own (see the module doc);
    timeout: seconds to wait before TimeoutError (the fit goes on and is cached).
    """
    job = start_map(vectors, method, n_words, dims, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist,
                    n_epochs=n_epochs, perplexity=perplexity, cache=cache)
    return wait_for(job, progress, timeout)


_IN_FLIGHT: dict[Hashable, FitJob] = {}  # (id(cache), key) -> the running fit, so a repeated request joins it
_IN_FLIGHT_LOCK = threading.Lock()  # held only to look up / register / remove a job


def start_map(vectors: Vectors, method: str = "umap", n_words: int = 5000, dims: int = 2, *,
              seed: int | None = 0, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int | None = None,
              perplexity: float = 30.0, cache: LRUCache | None = MAP_CACHE) -> FitJob:
    """Start (or join, or take from the cache) the map compute_map would return; returns its FitJob at once.

    Bad arguments raise ValueError here, before any thread starts. The job's result is the MapResult."""
    method = method.lower().replace("-", "")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if dims not in (2, 3):
        raise ValueError("dims must be 2 or 3")
    n = min(int(n_words), len(vectors), METHOD_LIMITS[method])
    label = METHOD_LABELS[method]
    if n < MIN_WORDS[method]:
        raise ValueError(f"{label} needs at least {MIN_WORDS[method]} words; got {n}")
    params = _effective_params(method, n, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist,
                               n_epochs=n_epochs, perplexity=perplexity)
    key = (vectors.fingerprint, method, n, dims, tuple(sorted(params.items())))
    name = f"{label} of {n:,} words"
    if cache is not None and (hit := cache.get(key)) is not None:
        return FitJob.finished(hit, f"{label}: reused the cached map of {n:,} words", name)
    words, counts, total = vectors.words[:n], None if vectors.counts is None else vectors.counts[:n], len(vectors)
    X = vectors.unit[:n]

    def fit(fp: FitProgress) -> MapResult:
        t0 = time.perf_counter()
        info: dict[str, Any] = {}
        if method == "pca":
            fp.update(0.0, f"PCA of {n:,} words")
            coords, ratio = pca_coords(X, dims)
            info["explained_variance"] = [float(r) for r in ratio]
        elif method == "umap":
            coords = umap_coords(X, dims, params, fp)
        else:
            coords = tsne_coords(X, dims, params, fp)
        result = MapResult(words=words, coords=_frozen(coords), method=method, params=params, total_words=total,
                           counts=counts, requested=int(n_words), seconds=time.perf_counter() - t0, info=info,
                           source_name=vectors.name)
        if cache is not None:
            cache.put(key, result)
        fp.update(1.0, f"{label} of {n:,} words done in {result.seconds:.1f} s")
        return result

    if cache is None:
        return FitJob.start(fit, name)
    slot = (id(cache), key)
    with _IN_FLIGHT_LOCK:
        running = _IN_FLIGHT.get(slot)
        if running is not None and not running.done():
            logger.info("joining the running fit: %s", name)
            return running
        job = FitJob(name)
        _IN_FLIGHT[slot] = job

    def forget(finished: FitJob) -> None:
        with _IN_FLIGHT_LOCK:
            if _IN_FLIGHT.get(slot) is finished:
                del _IN_FLIGHT[slot]

    return job.launch(fit, on_finish=forget)


def _effective_params(method: str, n: int, *, seed: int | None, n_neighbors: int, min_dist: float,
                      n_epochs: int | None, perplexity: float) -> dict[str, Any]:
    if method == "umap":
        return {"n_neighbors": int(max(2, min(n_neighbors, n - 1))), "min_dist": float(min_dist),
                "n_epochs": None if n_epochs is None else int(n_epochs), "seed": seed, "metric": "cosine"}
    if method == "tsne":
        return {"perplexity": float(max(1.0, min(perplexity, (n - 1) / 3.0))), "seed": seed}
    return {}
