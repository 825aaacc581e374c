"""The pair pipeline's statistics match word2vec.c's formulas."""
import numpy as np
import pytest

from tests.synthetic import zipf_text
from trainer import TextSource, TrainConfig, prepare
from trainer.pairs import PairPipeline, window_pairs
from trainer.vocab import NegativeSampler, keep_probabilities


def test_dynamic_window_distance_distribution():
    # One long sentence; P(pair at distance d) ∝ P(b >= d) = (W - d + 1) / W for each side.
    W, n = 5, 200_000
    rng = np.random.default_rng(0)
    ids = np.arange(n, dtype=np.int32)
    reduced = rng.integers(1, W + 1, size=n)
    centre, context = window_pairs(ids, np.zeros(n, np.int64), reduced, W)
    dist = np.abs(context - centre)
    counts = np.bincount(dist, minlength=W + 1)[1:]
    expected = np.array([(W - d + 1) / W for d in range(1, W + 1)]) * 2 * n
    assert np.allclose(counts, expected, rtol=0.02)
    # Symmetric: as many pairs to the left as to the right.
    assert abs(int((context < centre).sum()) - int((context > centre).sum())) < 0.01 * len(centre)


def test_windows_never_cross_sentences():
    ids = np.arange(10, dtype=np.int32)
    sentence = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    centre, context = window_pairs(ids, sentence, np.full(10, 5), 5)
    assert np.all(sentence[centre] == sentence[context])
    assert len(centre) == 3 * 2 + 2 * 1 + 4 * 3 + 0


def test_subsampling_formula_and_rates():
    counts = np.array([10_000, 1_000, 100, 10], dtype=np.int64)
    t = 1e-3
    keep = keep_probabilities(counts, t)
    tn = t * counts.sum()
    for f, k in zip(counts, keep):
        assert k == pytest.approx(min(1.0, (np.sqrt(f / tn) + 1) * tn / f))
    assert np.all(keep_probabilities(counts, 0.0) == 1.0)


def test_subsampling_keep_rate_observed_in_pipeline():
    text = zipf_text(n_words=50, n_lines=4000, line_len=15)
    cfg = TrainConfig(min_count=1, sample=1e-2, window=1, negative=2, dim=8)
    prep = prepare(TextSource.from_text(text), cfg)
    # CBOW with a window spanning the whole line: every kept token is a target exactly once
    # (lines are 15 tokens; the top word keeps < 50 %, so each line keeps at least two tokens).
    cfg_all = cfg.replace(window=50, cbow=True)
    pipe = PairPipeline(prep.corpus, prep.vocab.counts, cfg_all)
    kept = np.zeros(len(prep.vocab), np.int64)
    for e in range(3):
        for b in pipe.epoch(e):
            kept += np.bincount(b.targets, minlength=len(prep.vocab))
    rate = kept / (3 * prep.vocab.counts)
    expected = keep_probabilities(prep.vocab.counts, cfg.sample)
    frequent = prep.vocab.counts >= 500
    # Binomial tolerance: 4 standard deviations.
    sd = np.sqrt(expected * (1 - expected) / (3 * prep.vocab.counts))
    assert np.all(np.abs(rate - expected)[frequent] <= 4 * sd[frequent] + 1e-3)
    assert expected[0] < 0.5  # the check is not vacuous: the top word is really down-sampled


def test_negative_distribution_matches_unigram_power():
    counts = np.array([1000, 500, 100, 50, 10, 1], dtype=np.int64)
    sampler = NegativeSampler(counts, power=0.75)
    draws = sampler.draw(np.random.default_rng(1), (2_000_000,))
    observed = np.bincount(draws, minlength=len(counts)) / len(draws)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    sd = np.sqrt(expected * (1 - expected) / len(draws))
    assert np.all(np.abs(observed - expected) < 5 * sd)
    # power is configurable: 0 gives uniform negatives.
    uni = NegativeSampler(counts, power=0.0).draw(np.random.default_rng(2), (600_000,))
    assert np.allclose(np.bincount(uni) / len(uni), 1 / len(counts), atol=0.003)


def test_pipeline_batches_cover_corpus_in_order_and_cbow_groups():
    text = zipf_text(n_words=30, n_lines=500)
    cfg = TrainConfig(min_count=1, sample=0, window=2, negative=3, dim=8, cbow=True)
    prep = prepare(TextSource.from_text(text), cfg)
    pipe = PairPipeline(prep.corpus, prep.vocab.counts, cfg, chunk_tokens=700)
    batches = list(pipe.epoch(0))
    assert len(batches) > 3
    assert batches[0].word_start == 0 and batches[-1].word_end == prep.corpus.n_tokens
    assert all(a.word_end == b.word_start for a, b in zip(batches, batches[1:]))
    for b in batches:
        assert b.row_splits[0] == 0 and b.row_splits[-1] == len(b.inputs)
        assert np.all(np.diff(b.row_splits) >= 1)
        assert b.negatives.shape == (len(b.targets), 3)
    # sample=0: every token is a CBOW target exactly once.
    assert sum(len(b) for b in batches) == prep.corpus.n_tokens
