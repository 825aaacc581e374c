"""Parallel pair producers: the batches do not depend on how many threads made them."""
import threading

import numpy as np
import pytest

from tests.synthetic import zipf_text
from trainer import TextSource, TrainConfig, prepare
from trainer.pairs import PairPipeline, default_producers
from trainer.vocab import DRAW_BLOCK, NegativeSampler


@pytest.fixture(scope="module")
def pipe():
    cfg = TrainConfig(min_count=1, sample=1e-2, window=3, negative=4, dim=8, seed=7)
    prep = prepare(TextSource.from_text(zipf_text(n_words=60, n_lines=600, line_len=12)), cfg)
    p = PairPipeline(prep.corpus, prep.vocab.counts, cfg, chunk_tokens=500)
    assert len(p) >= 8  # several chunks per epoch, so each worker makes several
    return p


def _fields(b):
    return (b.epoch, b.word_start, b.word_end, b.sentence_start, b.inputs.tobytes(), b.targets.tobytes(),
            b.negatives.tobytes())


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_batches_identical_and_in_order_whatever_the_worker_count(pipe, workers):
    with pipe.prefetch(3, workers=1) as batches:
        one = [_fields(b) for b in batches]
    with pipe.prefetch(3, workers=workers) as batches:
        many = [_fields(b) for b in batches]
    assert len(one) == 3 * len(pipe)
    assert many == one
    # The plain per-epoch iterator gives the same batches too (tests and benchmarks use it).
    assert [_fields(b) for e in range(3) for b in pipe.epoch(e)] == one
    # Different epochs and chunks draw different randomness.
    assert one[0][5] != one[len(pipe)][5]


def test_start_epoch_resumes_the_same_stream(pipe):
    with pipe.prefetch(3, workers=2) as batches:
        full = [_fields(b) for b in batches]
    with pipe.prefetch(3, workers=2, start_epoch=1) as batches:
        tail = [_fields(b) for b in batches]
    assert tail == full[len(pipe):]


def test_leaving_early_stops_every_producer(pipe):
    before = {t.name for t in threading.enumerate()}
    with pipe.prefetch(50, workers=3, depth=2) as batches:
        for i, _ in enumerate(batches):
            if i == 4:
                break
    alive = [t for t in threading.enumerate() if t.name.startswith("pair-producer") and t.name not in before]
    assert alive == []


def test_a_producer_error_reaches_the_consumer_at_its_turn(pipe, monkeypatch):
    real = PairPipeline.batch

    def failing(self, epoch, k):
        if (epoch, k) == (1, 2):
            raise ValueError("bad chunk")
        return real(self, epoch, k)

    monkeypatch.setattr(PairPipeline, "batch", failing)
    seen = 0
    with pytest.raises(ValueError, match="bad chunk"):
        with pipe.prefetch(3, workers=3) as batches:
            for _ in batches:
                seen += 1
    assert seen == len(pipe) + 2  # every batch before the failing one arrived, in order


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 1), (4, 1), (6, 2), (8, 2), (16, 4), (64, 16)])
def test_default_producers_one_per_four_cores(monkeypatch, cores, expected):
    import trainer.backend
    monkeypatch.setattr(trainer.backend, "usable_cores", lambda: cores)
    assert default_producers() == expected
    assert default_producers(3) == 3  # an explicit config value wins
    from trainer.model import default_native_threads
    assert default_native_threads() == max(1, cores - expected)


def test_negative_draws_cover_blocks_exactly():
    # Shapes that are not a multiple of the draw block still come back whole, in range and random throughout.
    sampler = NegativeSampler(np.array([50, 30, 20, 5], np.int64))
    for shape in [(1,), (DRAW_BLOCK // 5 + 3, 5), (0, 5)]:
        out = sampler.draw(np.random.default_rng(0), shape)
        assert out.shape == shape and out.dtype == np.int32
        assert out.size == 0 or (out.min() >= 0 and out.max() < 4)
    tail = sampler.draw(np.random.default_rng(0), (DRAW_BLOCK + 1000,))[DRAW_BLOCK:]
    assert len(set(tail.tolist())) == 4  # the last, partial block is drawn too (not left as zeros)
