"""Vocabulary, subsampling keep-probabilities and the negative-sampling distribution.

    vocab = Vocabulary.build(words, counts, min_count=5, max_vocab=None)
    vocab.words[:3], vocab.counts[:3]           # most frequent first
    keep = keep_probabilities(vocab.counts, sample=1e-3)
    sampler = NegativeSampler(vocab.counts, power=0.75)
    sampler.draw(rng, (n_pairs, 5))             # int32 word ids

Formulas are word2vec.c's: a word with count f among N training words is kept
with probability min(1, (sqrt(f / (t N)) + 1) * t N / f); negatives follow
f**0.75 / sum f**0.75, drawn exactly in O(1) each with Walker's alias method.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Vocabulary:
    words: list[str]  # most frequent first; ties keep first-seen order
    counts: np.ndarray  # int64 [V]

    @classmethod
    def build(cls, words: list[str], counts: np.ndarray, min_count: int = 5,
              max_vocab: int | None = None) -> Vocabulary:
        counts = np.asarray(counts, dtype=np.int64)
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] >= min_count]
        if max_vocab is not None:
            order = order[:max_vocab]
        return cls(words=[words[i] for i in order], counts=counts[order])

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec.c's subsampling keep probability per word (1.0 everywhere when sample == 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float64)
    tn = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / tn) + 1.0) * tn / counts)


# Negatives drawn per block: the block's temporaries (slots, coins, gathered thresholds) stay in cache.
DRAW_BLOCK = 32768


class NegativeSampler:
    """Exact draws from counts**power with Walker's alias table (vectorised draws)."""

    def __init__(self, counts: np.ndarray, power: float = 0.75):
        weights = np.asarray(counts, dtype=np.float64) ** power
        self.probabilities = weights / weights.sum()
        self.prob, self.alias = _alias_table(self.probabilities)

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """int32 ids of the given shape. Drawn in cache-sized blocks with `take` (the producer's biggest
        cost: 1.3-1.5x faster than one pass with fancy indexing; NumPy releases the GIL throughout)."""
        n = len(self.prob)
        out = np.empty(int(np.prod(shape)), dtype=np.int32)
        for s0 in range(0, out.size, DRAW_BLOCK):
            m = min(DRAW_BLOCK, out.size - s0)
            slot = rng.integers(0, n, size=m, dtype=np.int32)
            coin = rng.random(size=m, dtype=np.float32)
            out[s0:s0 + m] = np.where(coin < self.prob.take(slot), slot, self.alias.take(slot))
        return out.reshape(shape)


def _alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method: prob[i] chance to keep slot i, else take alias[i]."""
    n = len(p)
    scaled = p * n
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    scaled = scaled.tolist()
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    # Leftovers are 1 up to rounding.
    return prob.astype(np.float32), alias
