"""Training behaviour: loss falls, planted structure is recovered, determinism, cancel, backends."""
import numpy as np
import pytest

from tests.synthetic import group_precision_at_k, planted_groups
from trainer import CancelToken, TextSource, TrainConfig, learning_rate, native, prepare, train

TEXT, GROUPS = planted_groups()
BASE = TrainConfig(dim=24, window=3, negative=5, epochs=4, min_count=1, sample=0, lr=0.025, seed=3)
HAVE_NATIVE = native.load() is not None


@pytest.fixture(scope="module")
def prepared():
    return prepare(TextSource.from_text(TEXT), BASE)


def test_native_kernel_is_built_here():
    # make test builds it; if this fails the trainer silently runs ~3x slower.
    assert HAVE_NATIVE, native.last_error()



def test_learning_rate_decays_by_sentences_as_gensim_does():
    """The SGD learning rate follows the share of sentences trained (gensim's clock), not of words: a first
    line holding half the words is one sentence of 201, so after it the rate has barely moved."""
    rng = np.random.default_rng(0)
    long_line = " ".join(f"w{i}" for i in rng.integers(0, 50, size=4000))
    short = "\n".join(" ".join(f"w{i}" for i in rng.integers(0, 50, size=20)) for _ in range(200))
    cfg = TrainConfig(dim=8, window=2, negative=2, epochs=1, min_count=1, sample=0, lr=0.025, min_lr=0.0001,
                      backend="native" if HAVE_NATIVE else "tf", optimizer="sgd", max_sentence_len=10_000,
                      report_every=1, batch_size=512)
    prep = prepare(TextSource.from_text(long_line + "\n" + short + "\n"), cfg)
    assert prep.corpus.n_sentences == 201
    events = []
    train(prep, cfg, on_event=events.append)
    prog = [e for e in events if e.kind == "progress"]
    if not HAVE_NATIVE:  # the TF path's AdaGrad keeps the rate constant: nothing to check
        assert all(e.lr == cfg.lr for e in prog)
        return
    halfway = min(prog, key=lambda e: abs(e.progress - 0.5))
    assert 0.4 < halfway.progress < 0.6
    # By words this would be lr(0.5) = 0.0125; by sentences it is lr(1/201) = 0.0249.
    assert halfway.lr == pytest.approx(learning_rate(cfg, 1 / 201), rel=1e-6)
    assert prog[-1].lr == pytest.approx(learning_rate(cfg, 1.0), rel=1e-6)

@pytest.mark.parametrize("changes", [
    dict(backend="native"),
    dict(backend="tf"),
    dict(backend="native", cbow=True, lr=0.05),
    dict(backend="tf", cbow=True, lr=0.05),
    dict(backend="tf", optimizer="adam", lr=0.01, epochs=6),
    dict(backend="tf", optimizer="adam", lr=0.01, epochs=6, cbow=True),
], ids=["sg-native", "sg-tf", "cbow-native", "cbow-tf", "sg-adam", "cbow-adam"])
def test_loss_falls_and_planted_groups_are_recovered(prepared, changes):
    if changes["backend"] == "native" and not HAVE_NATIVE:
        pytest.skip("native kernel unavailable")
    cfg = BASE.replace(**changes, report_every=1)
    events = []
    result = train(prepared.scan, cfg, on_event=events.append)
    assert result.backend == changes["backend"]
    assert not result.partial and result.epochs_completed == pytest.approx(cfg.epochs)
    losses = [e.loss for e in events if e.kind == "epoch_end"]
    assert len(losses) == cfg.epochs and losses[-1] < 0.8 * losses[0]
    assert group_precision_at_k(result.vectors, result.words, GROUPS) >= 0.9


def test_events_carry_progress_fields_and_snapshots(prepared):
    events = []
    result = train(prepared.scan, BASE.replace(epochs=2, snapshot_top=10, report_every=2, batch_size=4096),
                   on_event=events.append)  # several steps per epoch
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("epoch_end") == 2
    prog = [e for e in events if e.kind == "progress"]
    assert prog and all(0 < e.progress <= 1 and e.words_per_sec > 0 and e.lr > 0 for e in prog)
    assert [e.progress for e in prog] == sorted(e.progress for e in prog)
    if result.backend == "native":
        assert prog[-1].lr < prog[0].lr  # word2vec's linear decay
    else:  # the TF path's AdaGrad rows train at a constant lr, and the events say so
        assert all(e.lr == BASE.lr for e in prog)
    snaps = [e.snapshot for e in events if e.kind == "epoch_end"]
    assert all(s.shape == (10, BASE.dim) for s in snaps) and not np.array_equal(snaps[0], snaps[1])
    assert events[0].info["vocab_size"] == 120 and events[0].info["examples_per_epoch"] > 0


@pytest.mark.parametrize("backend", ["native", "tf"])
def test_deterministic_runs_are_identical(prepared, backend):
    if backend == "native" and not HAVE_NATIVE:
        pytest.skip("native kernel unavailable")
    cfg = BASE.replace(epochs=1, deterministic=True, backend=backend, sample=1e-3)
    a, b = train(prepared.scan, cfg), train(prepared.scan, cfg)
    assert np.array_equal(a.vectors, b.vectors)
    c = train(prepared.scan, cfg.replace(seed=4))
    assert not np.array_equal(a.vectors, c.vectors)


def test_initialisation_matches_word2vec(prepared):
    from trainer.model import make_model
    model = make_model(len(prepared.vocab), BASE.replace(epochs=1))  # untrained (a stop before step 1 raises)
    vectors, output = model.input_vectors(), model.output_vectors()
    # gensim 4's range, uniform in ±1/dim (word2vec.c uses ±0.5/dim; see trainer/model.py)
    assert np.all(np.abs(vectors) <= 1.0 / BASE.dim) and np.abs(vectors).max() > 0.5 / BASE.dim
    assert np.all(output == 0)


def test_stop_before_the_first_step_raises_training_cancelled(prepared):
    from trainer.events import TrainingCancelled
    with pytest.raises(TrainingCancelled):
        train(prepared.scan, BASE.replace(epochs=1), cancel=_cancelled())


def _cancelled() -> CancelToken:
    t = CancelToken()
    t.cancel()
    return t


def test_cancel_mid_run_returns_usable_partial_model(prepared):
    token = CancelToken()

    def stop_after_first_epoch(ev):
        if ev.kind == "epoch_end":
            token.cancel()

    result = train(prepared.scan, BASE.replace(epochs=50, report_every=1), on_event=stop_after_first_epoch,
                   cancel=token)
    assert result.partial and 1 <= result.epochs_completed < 50
    assert len(result.epoch_losses) >= 1
    assert result.vectors.shape == (120, BASE.dim) and np.isfinite(result.vectors).all()
    # one epoch already learned most of the structure
    assert group_precision_at_k(result.vectors, result.words, GROUPS) > 0.5
