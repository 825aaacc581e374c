"""Training examples from an encoded corpus, vectorised over whole chunks.

    from trainer.pairs import PairPipeline
    pipe = PairPipeline(corpus, vocab.counts, cfg)             # cfg: TrainConfig
    for batch in pipe.epoch(epoch=0):                          # one chunk of sentences
        batch.inputs, batch.targets, batch.negatives          # int32 arrays
    with pipe.prefetch(epochs=5, workers=2) as batches:        # background threads; leaving stops them
        for batch in batches: ...

Per chunk of whole sentences (NumPy, no per-pair Python loop):
1. subsampling: token kept with word2vec.c's probability (trainer.vocab);
2. dynamic window: each kept token draws b uniform in 1..window and pairs with
   the kept tokens at distance <= b in the same sentence (as word2vec.c);
3. negatives: `negative` ids per positive drawn from counts**ns_exponent (or per group of
   `negatives_group` consecutive positives, for a model that shares them: trainer.model.NEGATIVES_GROUP).
Skip-gram: one row per (context -> word) pair, like word2vec.c, whose input
vector is the context word's and whose target is the centre word.
CBOW: one row per centre word; inputs are its context words, row_splits group them.
Chunks come out in corpus order; background threads (default_producers()) prepare
the next chunks while the model trains on the current one.
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

# One pair-producer thread per this many usable cores (at least one): 2-5 cores -> 1, 6-9 -> 2, 16 -> 4.
# A producer (mostly negative draws) makes ~3-4x the words/s of one native kernel thread at the word2vec
# defaults (head500 on 2 cores: 1.1M vs 0.26M words/s), so one in four cores keeps the kernel fed.
PRODUCER_CORE_SHARE = 4


def default_producers(cfg_producers: int = 0) -> int:
    """Pair-producer threads: the config's value, or one per PRODUCER_CORE_SHARE usable cores (min 1)."""
    if cfg_producers:
        return cfg_producers
    from .backend import usable_cores
    return max(1, (usable_cores() + PRODUCER_CORE_SHARE // 2) // PRODUCER_CORE_SHARE)


@dataclass
class PairBatch:
    inputs: np.ndarray  # int32: SG [n] input word per pair; CBOW [m] context words grouped by row_splits
    targets: np.ndarray  # int32 [n] word to predict
    negatives: np.ndarray  # int32 [ceil(n / negatives_group), negative]: row j serves pairs j*group..(j+1)*group-1
    row_splits: np.ndarray  # int64 [n + 1] (CBOW) or [1] zeros (SG)
    epoch: int
    word_start: int  # in-vocabulary tokens before this chunk, counted over all epochs
    word_end: int
    sentence_start: int = 0  # sentences before this chunk, counted over all epochs (the learning-rate clock)
    sentence_end: int = 0
    negatives_group: int = 1  # 1: a row of negatives per pair (word2vec); g: shared by g consecutive pairs

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
    def __init__(self, corpus: EncodedCorpus, counts: np.ndarray, cfg: TrainConfig, chunk_tokens: int = 4096,
                 negatives_group: int = 1):
        self.corpus = corpus
        self.cfg = cfg
        self.negatives_group = negatives_group  # the model's (TFModel shares negatives per group of pairs)
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

    def __len__(self) -> int:
        """Chunks (batches) per epoch."""
        return len(self.chunks)

    def epoch(self, epoch: int) -> Iterator[PairBatch]:
        for k in range(len(self.chunks)):
            yield self.batch(epoch, k)

    def batch(self, epoch: int, k: int) -> PairBatch:
        """Chunk k of the given epoch. Each chunk draws from its own generator, seeded by (seed, epoch, k),
        so any thread can make any chunk and the batches do not depend on how many threads made them."""
        cfg, off, ids_all = self.cfg, self.corpus.offsets, self.corpus.ids
        rng = np.random.default_rng([cfg.seed, epoch, k])
        base, base_s = epoch * self.corpus.n_tokens, epoch * self.corpus.n_sentences
        s0, s1 = self.chunks[k]
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
        g = self.negatives_group
        negatives = self.sampler.draw(rng, (-(-targets.shape[0] // g), cfg.negative))
        return PairBatch(inputs=inputs.astype(np.int32), targets=targets.astype(np.int32),
                         negatives=negatives, row_splits=splits, epoch=epoch,
                         word_start=base + t0, word_end=base + t1,
                         sentence_start=base_s + s0, sentence_end=base_s + s1, negatives_group=g)

    @contextmanager
    def prefetch(self, epochs: int, depth: int = 8, start_epoch: int = 0, workers: int = 1):
        """Iterate the batches of all epochs in corpus order, made by `workers` background threads
        (thread w makes batches w, w + workers, ...; NumPy releases the GIL for the heavy work, so
        they run in parallel). Leaving the block stops them: the training loop's cancel check
        breaks out of it. A producer's exception is raised in the consumer at that batch's turn."""
        workers = max(1, workers)
        n_chunks = len(self.chunks)
        total = max(0, epochs - start_epoch) * n_chunks
        queues = [queue.Queue(maxsize=max(2, depth // workers)) for _ in range(workers)]
        stop = threading.Event()

        def produce(w: int) -> None:
            try:
                for g in range(w, total, workers):
                    item = self.batch(start_epoch + g // n_chunks, g % n_chunks)
                    while not stop.is_set():
                        try:
                            queues[w].put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            except BaseException as exc:  # surfaced in the consumer
                queues[w].put(exc)

        threads = [threading.Thread(target=produce, args=(w,), name=f"pair-producer-{w}", daemon=True)
                   for w in range(workers)]
        for t in threads:
            t.start()

        def consume() -> Iterator[PairBatch]:
            for g in range(total):
                item = queues[g % workers].get()
                if isinstance(item, BaseException):
                    raise item
                yield item

        try:
            yield consume()
        finally:
            stop.set()
            while any(t.is_alive() for t in threads):
                for q in queues:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        pass
                for t in threads:
                    t.join(timeout=0.05 / workers)
