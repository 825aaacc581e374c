"""How much two sets of word vectors agree, and resolving a typed word against a vocabulary.

    from explorer.agreement import neighbour_agreement, resolve_word
    share, used = neighbour_agreement(vec_a, vec_b)   # mean share of common top-10 neighbours
    resolve_word(vec, " King")                        # "king": the vocabulary's spelling (or UnknownWordError)

Used by the app's Compare tab (agreement) and by every tab that takes a typed word (resolve_word).
"""
from __future__ import annotations

import logging

from .vectors import Vectors

logger = logging.getLogger(__name__)

AGREEMENT_WORDS = 200  # most frequent shared words compared: enough for a stable mean, fast on a CPU
AGREEMENT_K = 10  # neighbours compared per word
_CANDIDATES_FACTOR = 3  # look this far down A's frequency list for words B also knows


def neighbour_agreement(a: Vectors, b: Vectors, n_words: int = AGREEMENT_WORDS,
                        k: int = AGREEMENT_K) -> tuple[float, int]:
    """Mean share of common top-k neighbours over the most frequent words both know; (share, words used).

    (nan, 0) when fewer than two words are shared."""
    shared = [w for w in a.words[: n_words * _CANDIDATES_FACTOR] if w in b][:n_words]
    if len(shared) < 2:
        return float("nan"), 0
    total = 0.0
    for w in shared:
        na = {x for x, _ in a.most_similar(w, topn=k)}
        nb = {x for x, _ in b.most_similar(w, topn=k)}
        total += len(na & nb) / k
    return total / len(shared), len(shared)


def resolve_word(vec: Vectors, word: str) -> str:
    """The vocabulary spelling of a typed word (trims, then tries lower case); UnknownWordError when absent."""
    w = word.strip()
    if w in vec:
        return w
    if w.lower() in vec:
        return w.lower()
    vec.index_of(w)  # raises UnknownWordError with suggestions
    return w
