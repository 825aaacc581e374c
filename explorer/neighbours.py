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

Every query is exact: one matrix-vector product over the (unit-normalised) matrix and an argpartition for the
top n, so a query over 100,000 words x 100 dims takes a few milliseconds (bench/bench_explorer.py).
Query words are never returned. An unknown word raises UnknownWordError (a KeyError) suggesting close spellings.

Scores: "cosine" gives cosine similarity (higher first) between each word and the normalised sum of the unit
vectors of `positive` minus those of `negative` (as gensim). "euclidean" gives the distance (lower first) to
(sum(positive) - sum(negative)) / max(1, len(positive) - len(negative)) of the raw vectors: the vector itself
for one word, a - b + c for an analogy, the mean for several positives.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Union

import numpy as np

if TYPE_CHECKING:
    from .vectors import Vectors

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
