"""Training examples from an encoded corpus, vectorised over whole chunks.

    from trainer.pairs import PairPipeline
    pipe = PairPipeline(corpus, vocab.counts, cfg)             # cfg: TrainConfig
    for batch in pipe.epoch(epoch=0):                          # one chunk of sentences
        batch.inputs, batch.targets, batch.negatives          # int32 arrays
    with pipe.prefetch(epochs=5) as batches:                   # background thread; leaving stops it
        for batch in batches: ...

Per chunk of whole sentences (NumPy, no per-pair Python loop):
1. subsampling: token kept with word2vec.c's probability (trainer.vocab);
2. dynamic window: each kept token draws b uniform in 1..window and pairs with
   the kept tokens at distance <= b in the same sentence (as word2vec.c);
3. negatives: `negative` ids per positive drawn from counts**ns_exponent.
Skip-gram: one row per (context -> word) pair, like word2vec.c, whose input
vector is the context word's and whose target is the centre word.
CBOW: one row per centre word; inputs are its context words, row_splits group them.
Chunks come out in corpus order; a background thread prepares the next chunks
while the model trains on the current one.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .corpus import EncodedCorpus
from .vocab import NegativeSampler, keep_probabilities


@dataclass
class PairBatch:
    inputs: np.ndarray  # int32: SG [n] input word per pair; CBOW [m] context words grouped by row_splits
    targets: np.ndarray  # int32 [n] word to predict
    negatives: np.ndarray  # int32 [n, negative]
    row_splits: np.ndarray  # int64 [n + 1] (CBOW) or [1] zeros (SG)
    epoch: int
    word_start: int  # in-vocabulary tokens before this chunk, counted over all epochs
    word_end: int
    sentence_start: int = 0  # sentences before this chunk, counted over all epochs (the learning-rate clock)
    sentence_end: int = 0

    def __len__(self) -> int:
        return int(self.targets.shape[0])


def window_pairs(ids: np.ndarray, sentence: np.ndarray, reduced: np.ndarray, window: int):
    """All (centre position, context position) pairs within each token's reduced window.

    ids, sentence, reduced: per kept token (word id, sentence index, b in 1..window).
    Returns (centre_pos, context_pos) int64 arrays in corpus order of the centre.
    """
    n = ids.shape[0]
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    pos = np.arange(n)[:, None] + offsets[None, :]
    inside = (pos >= 0) & (pos < n)
    pos_c = np.clip(pos, 0, max(n - 1, 0))
    valid = inside & (np.abs(offsets)[None, :] <= reduced[:, None]) & (sentence[pos_c] == sentence[:, None])
    centre = np.repeat(np.arange(n), valid.sum(axis=1))
    return centre, pos_c[valid]


class PairPipeline:
    def __init__(self, corpus: EncodedCorpus, counts: np.ndarray, cfg: TrainConfig, chunk_tokens: int = 4096):
        self.corpus = corpus
        self.cfg = cfg
        self.keep = keep_probabilities(counts, cfg.sample).astype(np.float32)
        self.sampler = NegativeSampler(counts, cfg.ns_exponent)
        self.chunks = self._chunk_bounds(chunk_tokens)

    def _chunk_bounds(self, chunk_tokens: int) -> list[tuple[int, int]]:
        """Sentence index ranges holding about chunk_tokens tokens each."""
        off = self.corpus.offsets
        targets = np.arange(chunk_tokens, off[-1], chunk_tokens)
        cuts = np.unique(np.searchsorted(off, targets))
        cuts = cuts[(cuts > 0) & (cuts < len(off) - 1)]
        edges = np.concatenate([[0], cuts, [len(off) - 1]])
        return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]

    def epoch(self, epoch: int) -> Iterator[PairBatch]:
        cfg, off, ids_all = self.cfg, self.corpus.offsets, self.corpus.ids
        rng = np.random.default_rng([cfg.seed, epoch])
        base, base_s = epoch * self.corpus.n_tokens, epoch * self.corpus.n_sentences
        for s0, s1 in self.chunks:
            t0, t1 = int(off[s0]), int(off[s1])
            ids = ids_all[t0:t1]
            lengths = np.diff(off[s0:s1 + 1])
            sentence = np.repeat(np.arange(s1 - s0), lengths)
            if cfg.sample > 0:
                kept = rng.random(ids.shape[0], dtype=np.float32) < self.keep[ids]
                ids, sentence = ids[kept], sentence[kept]
            reduced = rng.integers(1, cfg.window + 1, size=ids.shape[0])
            centre, context = window_pairs(ids, sentence, reduced, cfg.window)
            if cfg.cbow:
                counts = np.bincount(centre, minlength=ids.shape[0])
                has = counts > 0
                targets = ids[has]
                splits = np.zeros(int(has.sum()) + 1, dtype=np.int64)
                np.cumsum(counts[has], out=splits[1:])
                inputs = ids[context]
            else:
                targets, inputs = ids[centre], ids[context]
                splits = np.zeros(1, dtype=np.int64)
            negatives = self.sampler.draw(rng, (targets.shape[0], cfg.negative))
            yield PairBatch(inputs=inputs.astype(np.int32), targets=targets.astype(np.int32),
                            negatives=negatives, row_splits=splits, epoch=epoch,
                            word_start=base + t0, word_end=base + t1,
                            sentence_start=base_s + s0, sentence_end=base_s + s1)

    @contextmanager
    def prefetch(self, epochs: int, depth: int = 8, start_epoch: int = 0):
        """Iterate the batches of all epochs, produced by a background thread (stopped when the block exits:
        the training loop's cancel check breaks out of it)."""
        q: queue.Queue = queue.Queue(maxsize=depth)
        stop = threading.Event()
        done = object()

        def produce():
            try:
                for e in range(start_epoch, epochs):
                    for batch in self.epoch(e):
                        while not stop.is_set():
                            try:
                                q.put(batch, timeout=0.1)
                                break
                            except queue.Full:
                                continue
                        if stop.is_set():
                            return
                q.put(done)
            except BaseException as exc:  # surfaced in the consumer
                q.put(exc)

        worker = threading.Thread(target=produce, name="pair-producer", daemon=True)
        worker.start()

        def consume() -> Iterator[PairBatch]:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item

        try:
            yield consume()
        finally:
            stop.set()
            while worker.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    worker.join(timeout=0.05)
