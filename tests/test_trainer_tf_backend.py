"""The TensorFlow-ops backend at the GPU batch size (run on the CPU): it must still learn.

A single update over 65,536 pairs is where summed word2vec SGD broke (issue 9): frequent rows
collect hundreds of terms in one step. The planted-group corpus here has 120 words, so every
word appears hundreds of times per step, the hardest case for a large batch.
"""
import numpy as np
import pytest

from tests.synthetic import group_precision_at_k, planted_groups
from trainer import TextSource, TrainConfig, train
from trainer.model import TFModel

TEXT, GROUPS = planted_groups(n_lines=8000, seed=5)
GPU_BATCH = TFModel.default_batch_size(len({w for g in GROUPS for w in g}), on_gpu=True)
CFG = TrainConfig(dim=24, window=3, negative=5, epochs=4, min_count=1, sample=0, seed=2, backend="tf",
                  batch_size=65536, report_every=1)


@pytest.fixture(scope="module")
def run():
    events = []
    result = train(TextSource.from_text(TEXT), CFG, on_event=events.append)
    return result, events


def test_gpu_batch_is_the_large_batch_under_test():
    # The test is about the batch the GPU uses; it must be at least this large.
    assert GPU_BATCH >= 65536


def test_tf_backend_at_a_large_batch_lowers_the_loss(run):
    result, events = run
    assert result.backend == "tf" and not result.partial
    steps = max(e.step for e in events if e.kind == "progress")
    pairs_per_epoch = result.corpus_stats["examples_per_epoch"]
    assert pairs_per_epoch > 65536, "each epoch must span several full 65,536-pair steps"
    assert steps >= CFG.epochs  # at least one full step per epoch
    losses = [e.loss for e in events if e.kind == "epoch_end"]
    assert len(losses) == CFG.epochs
    assert all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0]


def test_tf_backend_at_a_large_batch_recovers_planted_groups(run):
    result, _ = run
    assert np.isfinite(result.vectors).all()
    assert group_precision_at_k(result.vectors, result.words, GROUPS) >= 0.9


def _one_step(lr0: float, lr1: float, optimizer: str = "sgd") -> np.ndarray:
    """Input vectors after one TFModel step on a fixed random batch (same seed, same start)."""
    from trainer.pairs import PairBatch
    cfg = TrainConfig(dim=8, negative=3, min_count=1, seed=4, backend="tf", optimizer=optimizer, lr=0.025)
    model = TFModel(50, cfg, "/CPU:0", batch_size=256)
    rng = np.random.default_rng(0)
    n = 200
    batch = PairBatch(inputs=rng.integers(0, 50, n, dtype=np.int32), targets=rng.integers(0, 50, n, dtype=np.int32),
                      negatives=rng.integers(0, 50, (n, 3), dtype=np.int32), row_splits=np.zeros(1, np.int64),
                      epoch=0, word_start=0, word_end=n)
    for _ in range(3):  # output rows start at zero: the input rows move from the second step on
        model.step(batch, lr0, lr1)
    return model.input_vectors()


def test_adagrad_steps_ignore_the_linear_decay():
    # Row-wise AdaGrad is the schedule (trainer.model.LR_DECAY): with word2vec's decay on top the last
    # epochs starved (head500, batch 8,192: analogy 2.6% with it, 4.3% without; gensim 3.5%).
    start = _one_step(0.025, 0.025)
    assert not np.allclose(start, TFModel(50, TrainConfig(dim=8, min_count=1, seed=4), "/CPU:0", 256).input_vectors())
    np.testing.assert_array_equal(_one_step(0.025, 0.0001), start)
    np.testing.assert_array_equal(_one_step(0.0001, 0.0001), start)


def test_shared_negatives_compute_word2vecs_gradients():
    # Groups of pairs sharing negatives (trainer.model.NEGATIVES_GROUP) must give exactly the loss and the
    # per-row gradient sums of the per-pair form when every pair of a group has those same negatives.
    import tensorflow as tf
    cfg = TrainConfig(dim=8, negative=3, min_count=1, seed=4, backend="tf", lr=0.025)
    model = TFModel(40, cfg, "/CPU:0", batch_size=64)
    g = model.negatives_group
    assert g > 1 and 64 % g == 0
    rng = np.random.default_rng(1)
    model.w_out.assign(rng.normal(size=(40, 8)).astype(np.float32))  # zeros would hide the negatives' terms
    n = 64
    inputs, targets = rng.integers(0, 40, n).astype(np.int32), rng.integers(0, 40, n).astype(np.int32)
    group_negs = rng.integers(0, 40, (n // g, 3)).astype(np.int32)
    group_negs[0, 0] = targets[0]  # a negative equal to the pair's target is skipped in both forms
    weight = np.ones(n, np.float32)
    weight[-5:] = 0  # padding
    loss_a, gin_a, gout_a, ids_a = model._forward(inputs, None, targets, np.repeat(group_negs, g, axis=0), weight)
    loss_b, gin_b, gout_b, ids_b = model._forward_shared(inputs, targets, group_negs, weight)
    np.testing.assert_allclose(loss_a.numpy(), loss_b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gin_a.numpy(), gin_b.numpy(), rtol=1e-5, atol=1e-6)

    def per_row(grads, ids):
        return tf.math.unsorted_segment_sum(grads, ids, 40).numpy()
    np.testing.assert_allclose(per_row(gout_a, ids_a), per_row(gout_b, ids_b), rtol=1e-4, atol=1e-5)
    assert len(ids_b) == n + (n // g) * 3 < len(ids_a)  # the point: fewer output rows to gather and scatter


def test_grouped_pipeline_batches_match_what_the_model_reads():
    from trainer import prepare
    from trainer.loop import pair_pipeline
    from trainer.model import make_model
    cfg = CFG.replace(batch_size=4096, epochs=1)
    prep = prepare(TextSource.from_text(TEXT), cfg)
    model = make_model(len(prep.vocab), cfg)
    pipe, _ = pair_pipeline(prep, cfg, model)
    batch = next(pipe.epoch(0))
    g = model.negatives_group
    assert batch.negatives_group == g > 1
    assert batch.negatives.shape == (-(-len(batch) // g), cfg.negative)
    # The same negatives given per pair (a hand-made batch) train the same vectors.
    import dataclasses
    twin = make_model(len(prep.vocab), cfg)
    per_pair = dataclasses.replace(batch, negatives=np.repeat(batch.negatives, g, axis=0)[:len(batch)],
                                   negatives_group=1)
    model.step(batch, cfg.lr, cfg.lr)
    twin.step(per_pair, cfg.lr, cfg.lr)
    np.testing.assert_array_equal(model.input_vectors(), twin.input_vectors())
    np.testing.assert_array_equal(model.output_vectors(), twin.output_vectors())


def test_automatic_tf_batches_are_whole_groups():
    # A small vocabulary caps the automatic batch at 4 x vocab; it is rounded down to whole groups so the
    # shared negatives still apply. An explicit batch that does not split into groups gets per-pair negatives.
    from trainer.model import NEGATIVES_GROUP, make_model
    model = make_model(1234, TrainConfig(backend="tf", min_count=1))
    assert model.batch_size % NEGATIVES_GROUP == 0 and model.batch_size <= 4 * 1234
    assert model.negatives_group == NEGATIVES_GROUP
    assert make_model(1234, TrainConfig(backend="tf", batch_size=1000)).negatives_group == 1
    assert make_model(1234, TrainConfig(backend="tf", cbow=True)).negatives_group == 1
    assert make_model(1234, TrainConfig(backend="tf", optimizer="adam", lr=0.005)).negatives_group == 1
