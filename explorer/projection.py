"""Maps of word vectors: UMAP, PCA, t-SNE (2D/3D) with an LRU cache, and k-means clusters.

    from explorer import compute_map, kmeans_clusters, warm_up_umap

    m = compute_map(vec, "umap", n_words=5000, dims=2, n_neighbors=15, min_dist=0.1, seed=0,
                    progress=lambda fraction, message: bar.progress(fraction, message))
    m.words, m.coords        # the 5,000 most frequent words and float32 [5000, 2] coordinates
    m.note                   # "UMAP of the 5,000 most frequent of 71,290 words" (title text for the figure)
    compute_map(vec, "umap", n_words=5000)   # same fingerprint, method and parameters: cached, no refit
    clusters = kmeans_clusters(vec, n_words=m.n, k=8)    # int32 [5000], aligned with m.words; 0 = largest

    warm_up_umap()                                        # at app start, in a thread: compile numba ahead

Maps always cover the top-N words by frequency (the first N rows of the Vectors), N chosen by the caller. The
only caps are METHOD_LIMITS (UMAP 50,000 words, t-SNE 20,000): when one applies, `MapResult.note` says so, and
nothing is sampled silently. Every map is computed on the unit-normalised vectors (cosine geometry; UMAP uses
metric="cosine"). Results are kept in MAP_CACHE, an in-process LRU keyed by (Vectors.fingerprint, method,
number of words, dims, effective parameters). `progress(fraction, message)` is called during long fits; for
UMAP it follows the optimisation epochs. A callback may raise to cancel the fit.
Maps of successive training snapshots that do not jump around: explorer.stable.StableMapper.
"""
from __future__ import annotations

import re
import sys
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .vectors import Vectors

ProgressFn = Callable[[float, str], None]
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


class MapCache:
    """A small thread-safe LRU of computed maps/clusterings (keys: fingerprint, method, parameters)."""

    def __init__(self, maxsize: int = 32):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


MAP_CACHE = MapCache()


def _report(progress: ProgressFn | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)


def _frozen(coords: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(coords, dtype=np.float32)
    out.setflags(write=False)
    return out


# ================================================================ compute_map
def compute_map(vectors: Vectors, method: str = "umap", n_words: int = 5000, dims: int = 2, *,
                seed: int | None = 0, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int | None = None,
                perplexity: float = 30.0, progress: ProgressFn | None = None,
                cache: MapCache | None = MAP_CACHE) -> MapResult:
    """Project the `n_words` most frequent words to `dims` (2 or 3) dimensions with "umap", "pca" or "tsne".

    UMAP: n_neighbors, min_dist, n_epochs (None: UMAP's default), metric cosine. t-SNE: perplexity (clamped to
    (N-1)/3). seed=None is faster for UMAP (parallel) but not reproducible. cache=None disables caching.
    """
    method = method.lower().replace("-", "")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if dims not in (2, 3):
        raise ValueError("dims must be 2 or 3")
    n = min(int(n_words), len(vectors), METHOD_LIMITS[method])
    if n < MIN_WORDS[method]:
        raise ValueError(f"{METHOD_LABELS[method]} needs at least {MIN_WORDS[method]} words; got {n}")
    params = _effective_params(method, n, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist,
                               n_epochs=n_epochs, perplexity=perplexity)
    key = (vectors.fingerprint, method, n, dims, tuple(sorted(params.items())))
    if cache is not None and (hit := cache.get(key)) is not None:
        _report(progress, 1.0, f"{METHOD_LABELS[method]}: reused the cached map of {n:,} words")
        return hit
    X = vectors.unit[:n]
    t0 = time.perf_counter()
    info: dict[str, Any] = {}
    if method == "pca":
        _report(progress, 0.0, f"PCA of {n:,} words")
        coords, ratio = pca_coords(X, dims)
        info["explained_variance"] = [float(r) for r in ratio]
    elif method == "umap":
        coords = _fit_umap(X, dims, params, progress)
    else:
        coords = _fit_tsne(X, dims, params, progress)
    result = MapResult(words=vectors.words[:n], coords=_frozen(coords), method=method, params=params,
                       total_words=len(vectors), counts=None if vectors.counts is None else vectors.counts[:n],
                       requested=int(n_words), seconds=time.perf_counter() - t0, info=info,
                       source_name=vectors.name)
    _report(progress, 1.0, f"{METHOD_LABELS[method]} of {n:,} words done in {result.seconds:.1f} s")
    if cache is not None:
        cache.put(key, result)
    return result


def _effective_params(method: str, n: int, *, seed: int | None, n_neighbors: int, min_dist: float,
                      n_epochs: int | None, perplexity: float) -> dict[str, Any]:
    if method == "umap":
        return {"n_neighbors": int(max(2, min(n_neighbors, n - 1))), "min_dist": float(min_dist),
                "n_epochs": None if n_epochs is None else int(n_epochs), "seed": seed, "metric": "cosine"}
    if method == "tsne":
        return {"perplexity": float(max(1.0, min(perplexity, (n - 1) / 3.0))), "seed": seed}
    return {}


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


def warm_up_umap(large: bool = True) -> float:
    """Compile UMAP's numba code now (e.g. in a background thread when the app starts) so the first real map
    does not pay it: a 60-point fit (exact neighbours, below 4,096 words) and, with large=True, a 4,200-point
    fit of 2 epochs (NN-descent, used from 4,096 words on; its compilation alone takes ~20-30 s on 2 cores).
    Returns the seconds spent. Safe to call more than once (later calls are quick)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for n, epochs in ((60, 10), (4200, 2)) if large else ((60, 10),):
        X = rng.standard_normal((n, 8)).astype(np.float32)
        _fit_umap(X / np.linalg.norm(X, axis=1, keepdims=True), 2,
                  {"n_neighbors": 15, "min_dist": 0.1, "seed": 0, "n_epochs": epochs}, None)
    return time.perf_counter() - t0


class _EpochProgress:
    """A file-like sink for UMAP's tqdm bar: turns 'n/total' into progress(fraction, message) calls."""

    _NT = re.compile(r"(\d+)/(\d+)")

    def __init__(self, progress: ProgressFn, lo: float, hi: float, label: str):
        self.progress, self.lo, self.hi, self.label = progress, lo, hi, label

    def write(self, text: str) -> int:
        found = self._NT.findall(text)
        if found:
            done, total = (int(x) for x in found[-1])
            if total > 0:
                _report(self.progress, self.lo + (self.hi - self.lo) * done / total,
                        f"{self.label}: epoch {done}/{total}")
        return len(text)

    def flush(self) -> None:
        pass


# One UMAP fit at a time in this process: numba's first compilation is not safe to run from two
# threads at once (seen as a hang when the app's warm-up and a user's first map overlapped), and
# each fit already uses every core.
_UMAP_LOCK = threading.RLock()


def _fit_umap(X: np.ndarray, dims: int, params: dict[str, Any], progress: ProgressFn | None,
              init: np.ndarray | None = None, learning_rate: float | None = None) -> np.ndarray:
    with _UMAP_LOCK:
        return _fit_umap_unlocked(X, dims, params, progress, init, learning_rate)


def _fit_umap_unlocked(X: np.ndarray, dims: int, params: dict[str, Any], progress: ProgressFn | None,
                       init: np.ndarray | None, learning_rate: float | None) -> np.ndarray:
    UMAP = import_umap()
    kw: dict[str, Any] = {"n_components": dims, "n_neighbors": params["n_neighbors"], "min_dist": params["min_dist"],
                          "metric": "cosine", "random_state": params["seed"], "low_memory": True, "verbose": False}
    if params.get("n_epochs"):
        kw["n_epochs"] = params["n_epochs"]
    if init is not None:
        kw["init"] = init
    if learning_rate is not None:
        kw["learning_rate"] = learning_rate
    if progress is not None:
        sink = _EpochProgress(progress, 0.3, 0.98, "UMAP")
        kw["tqdm_kwds"] = {"disable": False, "file": sink, "mininterval": 0.25, "ascii": True}
    _report(progress, 0.02, f"UMAP: finding the nearest neighbours of {X.shape[0]:,} words")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs/random_state notices, small-graph spectral fallbacks
        return np.asarray(UMAP(**kw).fit_transform(X), dtype=np.float32)


def _fit_tsne(X: np.ndarray, dims: int, params: dict[str, Any], progress: ProgressFn | None) -> np.ndarray:
    from sklearn.manifold import TSNE

    _report(progress, 0.02, f"t-SNE of {X.shape[0]:,} words (no progress until it ends)")
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    tsne = TSNE(n_components=dims, perplexity=params["perplexity"], init="pca", learning_rate="auto",
                random_state=params["seed"], method="barnes_hut")
    # On small inputs OpenMP start-up and spinning cost more than the gradient itself (seconds on a busy machine).
    with threadpool_limits(limits=1 if X.shape[0] <= 2000 else None, user_api="openmp"):
        return np.asarray(tsne.fit_transform(np.asarray(X, dtype=np.float32)), dtype=np.float32)


# ================================================================ clustering
def kmeans_clusters(source: Vectors | np.ndarray, n_words: int | None = None, k: int = 8, seed: int = 0,
                    cache: MapCache | None = MAP_CACHE) -> np.ndarray:
    """k-means labels (int32) of the first `n_words` unit-normalised vectors; label 0 is the largest cluster.

    `source` is a Vectors (cached by fingerprint) or a matrix [N, dim] (e.g. a training snapshot; not cached).
    """
    if isinstance(source, np.ndarray):
        m = np.asarray(source, dtype=np.float32)[: n_words or None]
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        X, key = m / np.where(norms > 0, norms, 1.0), None
    else:
        n = len(source) if n_words is None else min(int(n_words), len(source))
        X = source.unit[:n]
        key = (source.fingerprint, "kmeans", n, int(k), seed)
    if key is not None and cache is not None and (hit := cache.get(key)) is not None:
        return hit
    k = max(1, min(int(k), X.shape[0]))
    from sklearn.cluster import KMeans, MiniBatchKMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on tiny or duplicate-heavy data
        if X.shape[0] > 20_000:
            model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
        else:
            model = KMeans(n_clusters=k, random_state=seed, n_init=3)
        labels = model.fit_predict(X)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    remap = np.empty(k, dtype=np.int32)
    remap[order] = np.arange(k, dtype=np.int32)
    out = remap[labels]
    out.setflags(write=False)
    if key is not None and cache is not None:
        cache.put(key, out)
    return out
