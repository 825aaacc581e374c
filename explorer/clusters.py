"""k-means groups of words for colouring maps, with a sensible default k and names for the legend.

    from explorer import kmeans_clusters
    from explorer.clusters import cluster_names, default_k

    labels = kmeans_clusters(vec, n_words=2000)          # k = default_k(2000) = 9; int32, 0 = largest cluster
    labels = kmeans_clusters(vec, n_words=2000, k=6, seed=0)
    cluster_names(vec.words[:2000], labels)              # ["cluster 0: the, and, of", "cluster 1: king, ...]

Why centred: word2vec vectors share a large common direction (the mean of all vectors; on the quick demo the
mean cosine of random word pairs is far above 0), so k-means on the raw unit vectors splits along a few
outliers (seen: 1,026 + 966 words and six clusters of 1-3 words). Subtracting the mean first (Mu & Viswanath
2018, "all-but-the-top") and then normalising clusters the *directions that differ between words*, which gives
groups of comparable size that mean something. centre=False restores the raw behaviour.
"""
from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .cache import LRUCache

if TYPE_CHECKING:
    from .vectors import Vectors

logger = logging.getLogger(__name__)

CLUSTER_CACHE = LRUCache(maxsize=32)


def default_k(n_words: int) -> int:
    """About sqrt(n/25) clusters, between 3 and 12: 300 words -> 3, 2,000 -> 9, 5,000 and more -> 12 (more
    colours than 12 cannot be told apart on a map)."""
    return int(np.clip(round(np.sqrt(max(n_words, 1) / 25.0)), 3, 12))


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def kmeans_clusters(source: Vectors | np.ndarray, n_words: int | None = None, k: int | None = None, seed: int = 0,
                    cache: LRUCache | None = CLUSTER_CACHE, centre: bool = True) -> np.ndarray:
    """k-means labels (int32, read-only) of the first `n_words` vectors; label 0 is the largest cluster.

    The vectors are centred (their mean subtracted, centre=True) and unit-normalised, so k-means groups by
    cosine direction. k=None: default_k(n). `source` is a Vectors (cached by fingerprint) or a matrix
    [N, dim] (e.g. a training snapshot; not cached).
    """
    if isinstance(source, np.ndarray):
        m = np.asarray(source, dtype=np.float32)[: n_words or None]
        key = None
    else:
        n = len(source) if n_words is None else min(int(n_words), len(source))
        m = source.matrix[:n]
        key = (source.fingerprint, "kmeans", n, k, seed, centre)
    if key is not None and cache is not None and (hit := cache.get(key)) is not None:
        return hit
    X = np.asarray(m, dtype=np.float64)
    if centre and X.shape[0] > 1:
        X = X - X.mean(axis=0)
    X = _unit(X).astype(np.float32)
    k = default_k(X.shape[0]) if k is None else int(k)
    k = max(1, min(k, X.shape[0]))
    from sklearn.cluster import KMeans, MiniBatchKMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on tiny or duplicate-heavy data
        if X.shape[0] > 20_000:
            model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
        else:
            model = KMeans(n_clusters=k, random_state=seed, n_init=3)
        labels = model.fit_predict(X)
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    remap = np.empty(k, dtype=np.int32)
    remap[order] = np.arange(k, dtype=np.int32)
    out = remap[labels]
    out.setflags(write=False)
    logger.debug("k-means: %d words, k=%d, sizes %s", X.shape[0], k, sorted(sizes.tolist(), reverse=True))
    if key is not None and cache is not None:
        cache.put(key, out)
    return out


def cluster_names(words: Sequence[str], labels: Sequence[int] | np.ndarray, n: int = 3) -> list[str]:
    """A legend entry per cluster label 0..max: "cluster 1: king, lord, duke" (the `n` first words of each
    cluster in the given order, i.e. the most frequent when `words` are sorted by frequency). Labels are the
    same numbers as in hover texts and the coordinates CSV."""
    lab = np.asarray(labels)
    if len(lab) != len(words):
        raise ValueError(f"{len(lab)} labels for {len(words)} words")
    out = []
    for c in range(int(lab.max()) + 1 if len(lab) else 0):
        members = [words[i] for i in np.flatnonzero(lab == c)[:n]]
        out.append(f"cluster {c}: {', '.join(members) if members else '(empty)'}")
    return out
