"""Aligned comparison of two runs: rotate run B onto run A and rank the words that moved most.

    from explorer import load_vectors
    from explorer.alignment import align_runs

    al = align_runs(vec_a, vec_b)                    # Vectors from two runs, or a run and pretrained GloVe
    al.words, al.a, al.b_aligned                     # shared words (A's order) and both in one space
    al.distance                                      # per word: cosine distance after alignment, 0..2
    al.overlap                                       # per word: Jaccard of top-10 neighbours (NaN = not computed)
    al.moved_most(20)                                # [MovedWord(word, distance, overlap, count_a, count_b)]
    align_runs(vec_a, vec_b, min_count=20).moved_most(20)   # rank only words seen >= 20 times in both runs
    al.table(20)                                     # the same as a pandas DataFrame
    align_runs(vec_a, vec_b, k=50)                   # align in a shared 50-dim PCA space (also used when dims differ)

How (Hamilton et al. 2016, "Diachronic word embeddings"): both runs are restricted to their shared words; every
row is unit-normalised and then each run is centred on its own mean (orthogonal Procrustes assumes centred
clouds). When the dims differ, or `k` is given, each run is projected onto its own top-k principal axes first
(k = min(dim_a, dim_b) by default), so both live in k dims. The rotation R minimising ||B R - A|| is U V^T
from the SVD of B^T A (rotation and reflection only: no scaling, so distances stay cosines). The cosine
distance of a word is 1 - cos(a_i, b_i R) between these processed vectors.

Neighbour overlap: each run's top-10 neighbours of a word (cosine on the run's own unit vectors, among the shared
words) compared as sets, |A & B| / |A | B|. Rotation-free, so it needs no alignment. Exact, with batched matrix
products; computing it for every one of 50k words would take a minute or more, so it is computed for the `overlap_words`
words with the largest distance (the candidates for the moved-most list) and is NaN elsewhere.

Ranking (moved most first): cosine distance, descending, compared in steps of `TIE` (0.001: distances in the
same step count as tied); among tied words the lower overlap ranks as moved more. With min_count, words rarer
than that in either run come after all ranked words. Alignment plus ranking of 50k shared words x 100 dims
costs about half a second of CPU time (single-threaded BLAS; bench/bench_alignment.py).
"""
from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from .vectors import Vectors

logger = logging.getLogger(__name__)

TIE = 1e-3  # distances this close rank as tied, so the neighbour overlap decides
MIN_SHARED = 3  # fewer shared words cannot define a rotation worth showing


class AlignmentError(ValueError):
    """The two runs cannot be aligned (too few shared words, bad k); the message says why and what to do."""


@dataclass(frozen=True)
class MovedWord:
    word: str
    distance: float  # cosine distance after alignment (0 = same direction, 2 = opposite)
    overlap: float  # Jaccard of the top-N neighbour sets, 0..1; NaN when not computed
    count_a: int | None
    count_b: int | None


@dataclass(frozen=True, eq=False)
class Alignment:
    """Run B aligned to run A on their shared words. Arrays are read-only; rows follow `words`."""

    words: tuple[str, ...]  # shared words, in A's row order (most frequent first when A has counts)
    a: np.ndarray  # float32 [n, k]: A's processed vectors (unit, centred, PCA when used)
    b_aligned: np.ndarray  # float32 [n, k]: B's processed vectors after the rotation
    rotation: np.ndarray  # float64 [k, k], orthogonal: b_aligned = b_processed @ rotation
    distance: np.ndarray  # float32 [n]: cosine distance after alignment
    overlap: np.ndarray  # float32 [n]: Jaccard of top-`neighbours` neighbours; NaN where not computed
    order: np.ndarray  # int64 [n]: row indices, moved most first; ranked (eligible) words before the others
    name_a: str
    name_b: str
    dims: tuple[int, int, int]  # (dim of A, dim of B, dim of the shared space)
    space: str  # "original" or "pca-<k>"
    neighbours: int = 10
    counts_a: np.ndarray | None = None
    counts_b: np.ndarray | None = None
    only_a: int = 0  # words of A missing from B
    only_b: int = 0
    seconds: float = 0.0
    ranked: int = -1  # how many words are ranked (count >= min_count in both runs); the first `ranked` of order
    min_count: int = 0
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.words)

    def describe(self) -> str:
        """One sentence for the UI caption."""
        space = "their original space" if self.space == "original" else f"a shared {self.dims[2]}-dim PCA space"
        return (f"{self.name_b} aligned to {self.name_a} on {self.n:,} shared words in {space} (orthogonal "
                f"Procrustes on unit-normalised, centred vectors); {self.only_a:,} words only in {self.name_a}, "
                f"{self.only_b:,} only in {self.name_b}.")

    def moved_most(self, n: int = 20) -> list[MovedWord]:
        """The `n` words that moved most (see the module docstring), among the ranked words (min_count)."""
        ranked = self.n if self.ranked < 0 else self.ranked
        order = self.order[:ranked]
        out = []
        for i in order[: max(0, int(n))]:
            out.append(MovedWord(self.words[i], float(self.distance[i]), float(self.overlap[i]),
                                 None if self.counts_a is None else int(self.counts_a[i]),
                                 None if self.counts_b is None else int(self.counts_b[i])))
        return out

    def table(self, n: int = 20) -> pd.DataFrame:
        """moved-most as a DataFrame: rank, word, cosine distance, neighbour overlap, count in A, count in B."""
        import pandas as pd

        rows = self.moved_most(n)
        return pd.DataFrame({
            "rank": np.arange(1, len(rows) + 1),
            "word": [r.word for r in rows],
            "cosine distance": [r.distance for r in rows],
            f"top-{self.neighbours} overlap": [r.overlap for r in rows],
            f"count in {self.name_a}": pd.array([r.count_a for r in rows], dtype="Int64"),
            f"count in {self.name_b}": pd.array([r.count_b for r in rows], dtype="Int64"),
        })


# ------------------------------------------------------------------ the pieces
def shared_rows(vec_a: Vectors, vec_b: Vectors, max_words: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rows in A, rows in B) of the words both hold, in A's order; the first `max_words` of them."""
    if vec_a.words == vec_b.words:  # two runs on the same corpus and settings: nothing to match
        rows = np.arange(len(vec_a) if max_words is None else min(len(vec_a), max_words), dtype=np.int64)
        return rows, rows
    index_b = {w: j for j, w in enumerate(vec_b.words)}
    ra, rb = [], []
    for i, w in enumerate(vec_a.words):
        j = index_b.get(w)
        if j is not None:
            ra.append(i)
            rb.append(j)
            if max_words is not None and len(ra) >= max_words:
                break
    return np.asarray(ra, dtype=np.int64), np.asarray(rb, dtype=np.int64)


def _prepare(unit: np.ndarray, k: int | None) -> np.ndarray:
    """Unit rows centred (float64); projected on the top-k principal axes when k is given."""
    x = np.array(unit, dtype=np.float64)
    x -= x.mean(axis=0)
    if k is None:
        return x
    evals, evecs = np.linalg.eigh(x.T @ x)
    top = evecs[:, np.argsort(evals)[::-1][:k]]
    return x @ top


def procrustes_rotation(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The orthogonal R minimising ||b R - a||_F (both [n, k], rows paired): U V^T of svd(b^T a)."""
    u, _, vt = np.linalg.svd(np.asarray(b, np.float64).T @ np.asarray(a, np.float64))
    return u @ vt


def _top_k(sims: np.ndarray, k: int, block: int = 64) -> np.ndarray:
    """Column indices of the k largest entries of each row of `sims` (any order within the k).

    argpartition over 50k columns is the slow part of a neighbour search, so first a cheap bound: the k-th
    largest of the row's block maxima (blocks of 64 columns) is <= the row's k-th largest value, because the
    top k block maxima are k entries at least that large. Only entries above the bound (a few dozen) are
    sorted."""
    b, n = sims.shape
    if n < 8 * block * k:
        return np.argpartition(sims, n - k, axis=1)[:, n - k:]
    m = n // block * block
    bmax = sims[:, :m].reshape(b, m // block, block).max(axis=2)
    if m < n:
        bmax = np.concatenate([bmax, sims[:, m:].max(axis=1, keepdims=True)], axis=1)
    bound = np.partition(bmax, bmax.shape[1] - k, axis=1)[:, bmax.shape[1] - k]
    rr, cc = np.nonzero(sims >= bound[:, None])
    order = np.lexsort((-sims[rr, cc], rr))  # by row, then largest first
    cc = cc[order]
    starts = np.searchsorted(rr[order], np.arange(b))
    return cc[starts[:, None] + np.arange(k)]


def top_neighbours(unit: np.ndarray, rows: np.ndarray, k: int = 10, batch: int = 256) -> np.ndarray:
    """int64 [len(rows), k]: the k nearest rows (cosine; `unit` has unit rows) to each of `rows`, self excluded.

    Batched: one [batch, n] matrix product per batch, so memory stays ~batch * n floats."""
    n = unit.shape[0]
    k = min(k, n - 1)
    out = np.empty((len(rows), k), dtype=np.int64)
    for s in range(0, len(rows), batch):
        r = rows[s:s + batch]
        sims = unit[r] @ unit.T
        sims[np.arange(len(r)), r] = -np.inf
        out[s:s + batch] = _top_k(sims, k)
    return out


def neighbour_overlap(unit_a: np.ndarray, unit_b: np.ndarray, rows: np.ndarray, k: int = 10) -> np.ndarray:
    """Jaccard |N_A & N_B| / |N_A | N_B| of each row's top-k neighbour sets in A and in B (rows paired)."""
    na, nb = top_neighbours(unit_a, rows, k), top_neighbours(unit_b, rows, k)
    inter = (na[:, :, None] == nb[:, None, :]).any(axis=2).sum(axis=1)
    kk = na.shape[1]
    return (inter / np.maximum(2 * kk - inter, 1)).astype(np.float32)


def rank_moved(distance: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """Row order, moved most first: distance descending in steps of TIE, then lower overlap, then distance."""
    ov = np.where(np.isnan(overlap), 2.0, overlap)  # not computed: after every computed overlap in a tie
    return np.lexsort((-distance, ov, -np.floor(distance / TIE))).astype(np.int64)


def _frozen(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=dtype)
    x.setflags(write=False)
    return x


# ------------------------------------------------------------------ entry point
def align_runs(vec_a: Vectors, vec_b: Vectors, *, k: int | None = None, max_words: int | None = None,
               neighbours: int = 10, overlap_words: int = 200, min_count: int = 0) -> Alignment:
    """Align `vec_b` to `vec_a` (see the module docstring). AlignmentError when it cannot be done.

    k: dims of the shared PCA space (default: none when the dims agree, else min(dim_a, dim_b)).
    max_words: use only the first (most frequent in A) shared words. overlap_words: how many of the most-moved
    candidates get a neighbour overlap (all words when there are fewer). min_count: rank only words seen at least
    this often in both runs (where counts are known): rare words move a lot between any two runs, their vectors
    being mostly noise, so a UI usually wants e.g. 20. Every shared word still takes part in the fit."""
    with _one_blas_thread():
        return _align(vec_a, vec_b, k, max_words, neighbours, overlap_words, max(0, int(min_count)))


def _one_blas_thread() -> AbstractContextManager:
    """Single-threaded BLAS for the alignment. Its products are tall and thin ([n, k]^T [n, k]): split over
    threads they gain little on an idle machine and lose 3-4x in CPU time when other jobs share the cores
    (bench/bench_alignment.py, measured under load)."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn (a umap-learn dependency)
    except ImportError:
        logger.info("threadpoolctl is not installed: the alignment uses BLAS's default thread count")
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _align(vec_a: Vectors, vec_b: Vectors, k: int | None, max_words: int | None, neighbours: int,
           overlap_words: int, min_count: int) -> Alignment:
    t0 = time.perf_counter()
    ra, rb = shared_rows(vec_a, vec_b, max_words)
    n = len(ra)
    if n < max(MIN_SHARED, neighbours + 1):
        raise AlignmentError(
            f"{vec_a.name} and {vec_b.name} share only {n} word(s); aligning needs at least "
            f"{max(MIN_SHARED, neighbours + 1)}. Were they trained on the same kind of text, with the same "
            "lowercase setting?")
    lo = min(vec_a.dim, vec_b.dim)
    if k is not None and not (isinstance(k, int) and 1 <= k <= lo):
        raise AlignmentError(f"k={k!r}: the shared space needs from 1 to {lo} dims (the smaller run's dim)")
    if k is None and vec_a.dim != vec_b.dim:
        k = lo
        logger.info("dims differ (%d vs %d): aligning in a shared %d-dim PCA space", vec_a.dim, vec_b.dim, k)
    ua = vec_a.unit[ra]  # Vectors caches its unit rows: the app pays the normalisation once per run
    ub = vec_b.unit[rb]
    a = _prepare(ua, k)
    b = _prepare(ub, k)
    rot = procrustes_rotation(b, a)
    b_al = b @ rot
    # |b_i R| = |b_i|: the rotation keeps lengths, so no second normalisation pass is needed.
    na, nb = np.sqrt(np.einsum("ij,ij->i", a, a)), np.sqrt(np.einsum("ij,ij->i", b, b))
    cos = np.einsum("ij,ij->i", a, b_al) / np.maximum(na * nb, 1e-30)
    distance = (1.0 - np.clip(cos, -1.0, 1.0)).astype(np.float32)

    eligible = np.ones(n, dtype=bool)
    for vec, rows in ((vec_a, ra), (vec_b, rb)):
        if min_count > 0 and vec.counts is not None:
            eligible &= vec.counts[rows] >= min_count
    overlap = np.full(n, np.nan, dtype=np.float32)
    by_distance = np.argsort(-distance, kind="stable")
    cand = by_distance[eligible[by_distance]][: max(0, int(overlap_words))]
    if len(cand):
        # Each run's own cosine neighbours among the shared words (float32: half the matmul time).
        overlap[cand] = neighbour_overlap(ua, ub, cand, neighbours)
    order = rank_moved(distance, overlap)
    order = np.concatenate([order[eligible[order]], order[~eligible[order]]])  # ranked words first

    words = tuple(vec_a.words[i] for i in ra)
    ca = None if vec_a.counts is None else _frozen(vec_a.counts[ra], np.int64)
    cb = None if vec_b.counts is None else _frozen(vec_b.counts[rb], np.int64)
    seconds = time.perf_counter() - t0
    logger.info("aligned %s to %s: %d shared words, k=%s, %.2f s", vec_b.name, vec_a.name, n, k, seconds)
    return Alignment(words=words, a=_frozen(a), b_aligned=_frozen(b_al), rotation=_frozen(rot, np.float64),
                     distance=_frozen(distance), overlap=_frozen(overlap), order=_frozen(order, np.int64),
                     name_a=vec_a.name, name_b=vec_b.name, dims=(vec_a.dim, vec_b.dim, a.shape[1]),
                     space="original" if k is None else f"pca-{k}", neighbours=neighbours, counts_a=ca,
                     counts_b=cb, only_a=len(vec_a) - n if max_words is None else 0,
                     only_b=len(vec_b) - n if max_words is None else 0, seconds=seconds,
                     ranked=int(eligible.sum()), min_count=min_count,
                     info={"overlap_words": int(len(cand)), "mean_distance": float(distance.mean())})
