"""Probe words: per-epoch neighbours in the epoch_end events, config validation, and the explorer-side history."""
import numpy as np
import pytest

from explorer.probe_view import ProbeHistory, default_probe_words
from tests.synthetic import planted_groups
from trainer import TextSource, TrainConfig, loop, native, prepare, train
from trainer.config import ConfigError
from trainer.probes import probe_neighbours

TEXT, GROUPS = planted_groups()
BASE = TrainConfig(dim=24, window=3, negative=5, epochs=3, min_count=1, sample=0, lr=0.025, seed=3,
                   backend="native" if native.load() is not None else "tf")


@pytest.fixture(scope="module")
def run_events():
    cfg = BASE.replace(probe_words=("G0W1", "g5w2", "nosuchword"))  # case-folded like the corpus
    events = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loop, "PROBE_MIN_SECONDS", 0.0)  # every epoch end reports (the throttle has its own test)
        result = train(prepare(TextSource.from_text(TEXT), cfg), cfg, on_event=events.append)
    return cfg, events, result


def test_probes_are_computed_at_most_every_half_second_and_always_at_the_end():
    cfg = BASE.replace(probe_words=("g5w2",), epochs=12)
    events = []
    train(prepare(TextSource.from_text(TEXT), cfg), cfg, on_event=events.append)
    ends = [e for e in events if e.kind == "epoch_end"]
    reported = [e for e in ends if e.probes]
    assert ends[0].probes and ends[-1].probes  # the first and the last epoch always
    gaps = [b.elapsed_s - a.elapsed_s for a, b in zip(reported[:-2], reported[1:-1])]
    assert all(g >= loop.PROBE_MIN_SECONDS * 0.99 for g in gaps), gaps
    if ends[-1].elapsed_s < loop.PROBE_MIN_SECONDS:  # epochs of a few ms: only the first and the last
        assert len(reported) == 2


def test_epoch_end_events_carry_five_neighbours_per_probe(run_events):
    cfg, events, result = run_events
    ends = [e for e in events if e.kind == "epoch_end"]
    assert len(ends) == cfg.epochs
    for ev in ends:
        assert set(ev.probes) == {"G0W1", "g5w2"}
        for probe, rows in ev.probes.items():
            assert len(rows) == 5 and probe.lower() not in [w for w, _ in rows]
            scores = [c for _, c in rows]
            assert scores == sorted(scores, reverse=True) and all(-1 <= c <= 1 for c in scores)
    # After training, the neighbours are the planted group mates, with the final vectors' cosines.
    last = ends[-1].probes
    assert {w for w, _ in last["g5w2"]} == set(GROUPS[5]) - {"g5w2"}
    v = result.vectors / np.linalg.norm(result.vectors, axis=1, keepdims=True)
    idx = {w: i for i, w in enumerate(result.words)}
    w0, c0 = last["G0W1"][0]
    assert c0 == pytest.approx(float(v[idx["g0w1"]] @ v[idx[w0]]), abs=1e-5)


def test_missing_probes_are_reported_once(run_events):
    _, events, _ = run_events
    assert events[0].kind == "start" and events[0].info["probe_missing"] == ["nosuchword"]
    assert all(e.probes is None for e in events if e.kind != "epoch_end")


def test_no_probes_no_cost():
    events = []
    train(TextSource.from_text(TEXT), BASE.replace(epochs=1), on_event=events.append)
    assert all(e.probes is None for e in events) and events[0].info["probe_missing"] == []


@pytest.mark.parametrize("bad", [("a",) * 6, ("ok", ""), "king", (3,)])
def test_config_validates_probe_words(bad):
    with pytest.raises(ConfigError) as e:
        TrainConfig(probe_words=bad).validate()
    assert e.value.field == "probe_words" and "at most 5" in str(e.value)


def test_config_round_trips_probe_words_through_json_dict():
    cfg = TrainConfig(probe_words=("king", "love"))
    d = cfg.to_dict()
    d["probe_words"] = list(d["probe_words"])  # what json gives back
    assert TrainConfig.from_dict(d) == cfg


def test_probe_neighbours_exact_on_small_matrix():
    m = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0], [0, 0]], dtype=np.float32)
    out = probe_neighbours(m, {"a": 0}, ["a", "b", "c", "d", "z"], topn=3)
    assert [w for w, _ in out["a"]] == ["b", "c", "z"]  # c and the zero row z both score 0; stable order
    assert out["a"][0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))


def test_history_flags_new_neighbours():
    h = ProbeHistory()
    h.add(0, {"king": [("lord", 0.5), ("duke", 0.4)], "love": [("hate", 0.3)]})
    h.add(1, {"king": [("queen", 0.7), ("lord", 0.6)], "love": [("hate", 0.5)]})
    h.add(1, {"king": [("queen", 0.71), ("lord", 0.6)], "love": [("hate", 0.5)]})  # a repeat replaces
    h.add(2, None)
    assert len(h) == 2 and h.words == ["king", "love"]
    assert [r.new for r in h.rows("king", 0)] == [False, False]  # nothing to compare with yet
    rows = h.latest()["king"]
    assert [(r.rank, r.neighbour, r.new) for r in rows] == [(1, "queen", True), (2, "lord", False)]
    assert rows[0].cosine == pytest.approx(0.71) and h.new_neighbours("love") == []
    df = h.table("king")
    assert df.shape == (4, 5) and df["epoch"].tolist() == [1, 1, 2, 2] and df["new"].tolist() == [0, 0, 1, 0]
    assert h.markdown("king") == "**queen** (new) 0.71 · lord 0.60"
    same = ProbeHistory.from_snapshots([(0, {"king": [("lord", 0.5), ("duke", 0.4)]}),
                                        (1, {"king": [("queen", 0.71), ("lord", 0.6)]})])
    assert same.new_neighbours("king") == ["queen"] and same.epochs == [0, 1]
    h2 = ProbeHistory()
    h2.add(0, {"a*b": [("<x>", 0.1)]})
    assert h2.markdown("a*b") == "\\<x\\> 0.10" and h2.markdown("missing") == "no neighbours yet"


def test_default_probe_words():
    words = ["the", "and", "king", "i", "lord", "love", "o'er", "3rd", "good"]
    assert default_probe_words(words) == ["king", "love", "lord"]
    assert default_probe_words(words, n=5) == ["king", "love", "lord", "good"]
    assert default_probe_words(["the", "of", "data", "model"], n=2) == ["data", "model"]
    assert default_probe_words(["b", "a", "zeta", "beta"], counts=[1, 9, 5, 7], n=2) == ["beta", "zeta"]
