"""Nearest neighbours and vector arithmetic over a `Vectors`, with a gensim-like API.

    from explorer import load_vectors, most_similar, analogy

    vec = load_vectors("runs/demo")
    most_similar(vec, "king", topn=5)                         # [("queen", 0.81), ...]; same as vec.most_similar(...)
    most_similar(vec, ["king", "woman"], ["man"])             # arithmetic: king + woman - man
    most_similar(vec, "king", metric="euclidean")             # [(word, distance)], nearest first
    most_similar(vec, "king", restrict_vocab=10_000)          # search only the 10,000 most frequent words
    analogy(vec, "king", "man", "woman", method="3cosmul")    # king - man + woman, 3CosMul ranking
    similarity(vec, "king", "queen"); doesnt_match(vec, ["cat", "dog", "car"])
    words_matching(vec, r"^un.*able$", limit=50)

    view = all_but_the_top(vec)                               # centred vectors: same words, same API
    view.most_similar("king"); view.similarity("love", "hate"); view.doesnt_match(["king", "queen", "sword"])

Every query is exact: one matrix-vector product over the (unit-normalised) matrix and an argpartition for the
top n, so a query over 100,000 words x 100 dims takes a few milliseconds (bench/bench_explorer.py).
Query words are never returned. An unknown word raises UnknownWordError (a KeyError) suggesting close spellings.

Scores: "cosine" gives cosine similarity (higher first) between each word and the normalised sum of the unit
vectors of `positive` minus those of `negative` (as gensim). "euclidean" gives the distance (lower first) to
(sum(positive) - sum(negative)) / max(1, len(positive) - len(negative)) of the raw vectors: the vector itself
for one word, a - b + c for an analogy, the mean for several positives.

Centred similarities (`all_but_the_top`, Mu & Viswanath 2018, "All-but-the-Top: Simple and Effective
Postprocessing for Word Representations"): word2vec vectors share a common direction (their mean) and a few
dominant directions that mostly encode word frequency. On a small corpus trained for seconds they dominate: every
pair of words then reads ~0.9-1.0 in raw cosine, and "similar" says little. Subtracting the mean vector and
projecting out the top principal components leaves what tells words apart; cosines then spread over [-1, 1]
and the neighbours, odd-one-out and analogies read as expected. It is a different measurement, not a fix of
the model, so the raw cosine stays the default of every function here and the UI shows which one it uses.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Union

import numpy as np

from .cache import LRUCache

if TYPE_CHECKING:
    from .vectors import Vectors

logger = logging.getLogger(__name__)

Metric = Literal["cosine", "euclidean"]
Terms = Union[str, np.ndarray, Sequence[Union[str, np.ndarray]], None]  # a word, a vector, or a list of them
ANALOGY_METHODS = ("3cosadd", "3cosmul")


def _as_list(items: object) -> list:
    if items is None:
        return []
    if isinstance(items, (str, np.ndarray)):
        return [items]
    return list(items)  # type: ignore[call-overload]


def _terms(vec: Vectors, positive: object, negative: object, unit: bool) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(row indices of the query words, stacked query vectors, weights +1/-1)."""
    pos, neg = _as_list(positive), _as_list(negative)
    if not pos and not neg:
        raise ValueError("give at least one word")
    rows: list[int] = []
    vecs: list[np.ndarray] = []
    for item in pos + neg:
        if isinstance(item, str):
            i = vec.index_of(item)
            rows.append(i)
            vecs.append(vec.unit[i] if unit else vec.matrix[i])
        else:
            v = np.asarray(item, dtype=np.float32).reshape(-1)
            if v.shape[0] != vec.dim:
                raise ValueError(f"a query vector has {v.shape[0]} dims; the vectors have {vec.dim}")
            n = float(np.linalg.norm(v))
            vecs.append(v / n if unit and n > 0 else v)
    weights = np.array([1.0] * len(pos) + [-1.0] * len(neg), dtype=np.float32)
    return rows, np.stack(vecs), weights


def _limit(vec: Vectors, restrict_vocab: int | None) -> int:
    if restrict_vocab is None:
        return len(vec)
    if restrict_vocab < 1:
        raise ValueError("restrict_vocab must be at least 1")
    return min(int(restrict_vocab), len(vec))


def top_k(scores: np.ndarray, k: int, largest: bool = True, exclude: Sequence[int] = ()) -> np.ndarray:
    """Indices of the k best scores, best first (ties: lower index first), never those in `exclude`."""
    key = -scores if largest else scores.copy()
    key = key.astype(np.float64, copy=False)
    ex = [i for i in set(exclude) if 0 <= i < len(key)]
    if ex:
        key[ex] = np.inf
    k = min(int(k), len(key) - len(ex))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < len(key):
        kth = key[np.argpartition(key, k - 1)[k - 1]]
        part = np.flatnonzero(key <= kth)  # every tie at the boundary, so ties resolve by index
    else:
        part = np.arange(len(key))
    return part[np.lexsort((part, key[part]))][:k]


def most_similar(vec: Vectors, positive: Terms, negative: Terms = None, topn: int = 10,
                 metric: Metric = "cosine", restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """The `topn` words nearest to positive - negative (query words excluded), as (word, score) pairs.

    positive/negative: a word, a vector, or a list of them. metric "cosine" -> similarity, best first;
    "euclidean" -> distance, nearest first. restrict_vocab: search only the first (most frequent) N words.
    """
    if topn < 1:
        return []
    limit = _limit(vec, restrict_vocab)
    if metric == "cosine":
        rows, vecs, w = _terms(vec, positive, negative, unit=True)
        q = w @ vecs
        norm = float(np.linalg.norm(q))
        if norm == 0:
            raise ValueError("the query vector is zero (the positive and negative words cancel out)")
        scores = vec.unit[:limit] @ (q / norm)
        best = top_k(scores, topn, largest=True, exclude=rows)
    elif metric == "euclidean":
        rows, vecs, w = _terms(vec, positive, negative, unit=False)
        q = (w @ vecs) / max(1.0, float(w.sum()))
        d2 = vec.sq_norms[:limit] - 2.0 * (vec.matrix[:limit] @ q) + float(q @ q)
        scores = np.sqrt(np.maximum(d2, 0.0))
        best = top_k(scores, topn, largest=False, exclude=rows)
    else:
        raise ValueError(f"metric must be 'cosine' or 'euclidean', not {metric!r}")
    words = vec.words
    return [(words[i], float(scores[i])) for i in best]


def most_similar_cosmul(vec: Vectors, positive: Terms, negative: Terms = None, topn: int = 10,
                        restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """3CosMul (Levy & Goldberg 2014, as gensim): prod((1+cos(x,p))/2) / (prod((1+cos(x,n))/2) + 1e-6)."""
    if topn < 1:
        return []
    if not _as_list(positive):
        raise ValueError("3CosMul needs at least one positive word")
    limit = _limit(vec, restrict_vocab)
    rows, vecs, w = _terms(vec, positive, negative, unit=True)
    sims = (1.0 + vec.unit[:limit] @ vecs.T) / 2.0  # [limit, terms]
    scores = np.prod(sims[:, w > 0], axis=1) / (np.prod(sims[:, w < 0], axis=1) + 1e-6)
    best = top_k(scores, topn, largest=True, exclude=rows)
    return [(vec.words[i], float(scores[i])) for i in best]


def analogy(vec: Vectors, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd",
            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """Words nearest to a - b + c ("king" - "man" + "woman" -> "queen"); method "3cosadd" or "3cosmul"."""
    if method == "3cosadd":
        return most_similar(vec, [a, c], [b], topn=topn, restrict_vocab=restrict_vocab)
    if method == "3cosmul":
        return most_similar_cosmul(vec, [a, c], [b], topn=topn, restrict_vocab=restrict_vocab)
    raise ValueError(f"method must be one of {ANALOGY_METHODS}, not {method!r}")


def similarity(vec: Vectors, w1: str, w2: str) -> float:
    """Cosine similarity of two words (0.0 when either vector is all zeros)."""
    return float(vec.unit[vec.index_of(w1)] @ vec.unit[vec.index_of(w2)])


def doesnt_match(vec: Vectors, words: Sequence[str]) -> str:
    """The word least similar to the normalised mean of the unit vectors of `words` (as gensim)."""
    words = list(words)
    if len(words) < 2:
        raise ValueError("give at least two words")
    rows = [vec.index_of(w) for w in words]
    u = vec.unit[rows]
    mean = u.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return words[int(np.argmin(u @ mean))]


def words_matching(vec: Vectors, pattern: str, limit: int | None = None, ignore_case: bool = True) -> list[str]:
    """Words (most frequent first) in which the regular expression `pattern` is found (re.search).

    An invalid pattern raises ValueError naming the problem.
    """
    try:
        rx = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as e:
        raise ValueError(f"invalid regular expression {pattern!r}: {e}") from None
    out: list[str] = []
    for w in vec.words:
        if rx.search(w):
            out.append(w)
            if limit is not None and len(out) >= limit:
                break
    return out


_CENTRED = LRUCache(maxsize=8)  # (fingerprint, n_components) -> the centred Vectors
CENTRE_FIT_ROWS = 50_000  # the mean and components come from the most frequent words (they dominate anyway)


def all_but_the_top(vec: Vectors, n_components: int | None = None) -> Vectors:
    """`vec` with its mean vector subtracted and its top `n_components` principal directions removed.

    n_components=None: max(1, dim // 100), as Mu & Viswanath suggest (D/100); 0 only subtracts the mean.
    Returns a new Vectors (same words and counts, name + " (centred)"), cached per fingerprint, so every
    neighbours function, compute_map and kmeans_clusters work on it unchanged. See the module doc for why.
    """
    from .vectors import Vectors

    k = max(1, vec.dim // 100) if n_components is None else int(n_components)
    if not 0 <= k < vec.dim:
        raise ValueError(f"n_components must be from 0 to {vec.dim - 1}, not {k}")
    key = (vec.fingerprint, k)
    if (hit := _CENTRED.get(key)) is not None:
        return hit
    m = np.asarray(vec.matrix, dtype=np.float64)
    fit = m[:CENTRE_FIT_ROWS]
    mean = fit.mean(axis=0)
    out = m - mean
    if k:
        _, s, vt = np.linalg.svd(fit - mean, full_matrices=False)
        top = vt[:k]
        out -= (out @ top.T) @ top
        logger.debug("all-but-the-top: removed the mean and %d components (%.1f%% of the variance)", k,
                     100.0 * float((s[:k] ** 2).sum() / max((s ** 2).sum(), 1e-300)))
    result = Vectors(vec.words, out.astype(np.float32), vec.counts, name=f"{vec.name} (centred)", meta=vec.meta)
    _CENTRED.put(key, result)
    return result


def mean_pair_cosine(vec: Vectors, pairs: int = 2000, top: int = 2000, seed: int = 0) -> float:
    """Mean cosine of `pairs` random pairs of distinct words among the `top` most frequent: near 0 for
    vectors that spread over the space, near 1 when one common direction dominates (then prefer
    all_but_the_top for similarities)."""
    n = min(len(vec), int(top))
    if n < 2:
        raise ValueError("need at least two words")
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, pairs), rng.integers(0, n, pairs)
    keep = i != j
    u = vec.unit
    return float(np.mean(np.sum(u[i[keep]] * u[j[keep]], axis=1)))
