"""Neighbours and arithmetic: brute-force reference, gensim parity, a tiny hand-built space."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import UnknownWordError, Vectors, analogy, most_similar
from explorer.neighbours import top_k

try:
    from explorer_fixtures import random_vectors, tiny_vectors
except ImportError:  # tests/ imported as a package
    from tests.explorer_fixtures import random_vectors, tiny_vectors


@pytest.fixture(scope="module")
def vec() -> Vectors:
    return random_vectors(2000, dim=32, seed=3)


def brute(v: Vectors, pos: list[str], neg: list[str], topn: int, metric: str, limit: int | None):
    m = v.matrix.astype(np.float64)[: limit or len(v)]
    idx = [v.index_of(w) for w in pos + neg]
    sign = np.array([1.0] * len(pos) + [-1.0] * len(neg))
    if metric == "cosine":
        u = m / np.linalg.norm(m, axis=1, keepdims=True)
        full = v.matrix.astype(np.float64) / np.linalg.norm(v.matrix, axis=1, keepdims=True)
        q = sign @ full[idx]
        score = u @ (q / np.linalg.norm(q))
        order = np.argsort(-score, kind="stable")
    else:
        q = sign @ v.matrix.astype(np.float64)[idx] / max(1.0, sign.sum())
        score = np.linalg.norm(m - q, axis=1)
        order = np.argsort(score, kind="stable")
    return [(v.words[i], score[i]) for i in order if i not in idx][:topn]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("pos, neg, limit", [
    (["w5"], [], None), (["w1999"], [], 500), (["w10", "w20"], ["w30"], None), (["w7", "w8"], [], 1000),
    ([], ["w3"], None),
])
def test_most_similar_matches_brute_force(vec, metric, pos, neg, limit):
    got = most_similar(vec, pos, neg, topn=15, metric=metric, restrict_vocab=limit)
    want = brute(vec, pos, neg, 15, metric, limit)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-4, atol=1e-5)
    assert not {w for w, _ in got} & set(pos + neg)


def test_matches_gensim_keyedvectors(vec):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vec.dim)
    kv.add_vectors(list(vec.words), vec.matrix.copy())
    for pos, neg, limit in ((["w1"], None, None), (["w4", "w9"], ["w2"], None), (["w11"], ["w12"], 300)):
        ours = vec.most_similar(pos, neg, topn=10, restrict_vocab=limit)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=10, restrict_vocab=limit)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)
    ours = vec.most_similar_cosmul(["w4", "w9"], ["w2"], topn=10)
    theirs = kv.most_similar_cosmul(positive=["w4", "w9"], negative=["w2"], topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)
    group = ["w1", "w2", "w3", "w4", "w5"]
    assert vec.doesnt_match(group) == kv.doesnt_match(group)
    assert vec.similarity("w1", "w2") == pytest.approx(float(kv.similarity("w1", "w2")), rel=1e-5)


def test_analogies_on_a_tiny_hand_built_space():
    v = tiny_vectors()
    for method in ("3cosadd", "3cosmul"):
        assert v.analogy("king", "man", "woman", method=method)[0][0] == "queen"
        assert analogy(v, "prince", "boy", "girl", method=method, topn=1)[0][0] == "princess"
    assert v.most_similar("car", topn=1) == [("truck", pytest.approx(v.similarity("car", "truck")))]
    assert v.doesnt_match(["king", "queen", "prince", "car"]) == "car"
    assert v.similarity("man", "man") == pytest.approx(1.0)
    assert v.most_similar(v.vector("queen"), topn=1)[0][0] == "queen"  # a vector query excludes nothing
    with pytest.raises(ValueError, match="method"):
        v.analogy("king", "man", "woman", method="nope")


def test_edge_cases_and_errors():
    v = tiny_vectors()
    assert v.most_similar("king", topn=0) == []
    assert len(v.most_similar("king", topn=100)) == len(v) - 1
    with pytest.raises(UnknownWordError) as info:
        v.most_similar(["king", "quen"])
    assert info.value.suggestions[0] == "queen"
    with pytest.raises(ValueError, match="cancel"):
        v.most_similar(["king"], ["king"])
    with pytest.raises(ValueError, match="metric"):
        v.most_similar("king", metric="manhattan")
    with pytest.raises(ValueError, match="dims"):
        v.most_similar(np.ones(3))
    with pytest.raises(ValueError, match="two words"):
        v.doesnt_match(["king"])


def test_words_matching():
    v = Vectors(["Apple", "pineapple", "apply", "banana", "<b>app</b>"], np.eye(5), counts=[5, 4, 3, 2, 1])
    assert v.words_matching("app") == ["Apple", "pineapple", "apply", "<b>app</b>"]
    assert v.words_matching("^app", ignore_case=False) == ["apply"]
    assert v.words_matching("app", limit=2) == ["Apple", "pineapple"]
    with pytest.raises(ValueError, match="invalid regular expression"):
        v.words_matching("(")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=30), st.integers(1, 35), st.booleans(), st.data())
def test_top_k_equals_a_stable_full_sort(values, k, largest, data):
    scores = np.array(values, dtype=np.float32)
    exclude = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=3))
    key = -scores if largest else scores
    want = [i for i in np.argsort(key, kind="stable") if i not in exclude][:k]
    assert top_k(scores, k, largest, exclude).tolist() == want


def test_all_but_the_top_removes_the_common_direction():
    """A shared offset makes every raw cosine ~1; the centred view spreads them and keeps the real neighbours."""
    from explorer.neighbours import all_but_the_top, mean_pair_cosine

    rng = np.random.default_rng(5)
    dim = 24
    base = rng.standard_normal((300, dim))
    base[1] = base[0] + 0.2 * rng.standard_normal(dim)  # w1 is w0's true neighbour
    shared = 30.0 * rng.standard_normal(dim)
    raw = Vectors([f"w{i}" for i in range(300)], (base + shared).astype(np.float32), np.arange(300, 0, -1))
    assert mean_pair_cosine(raw) > 0.9
    view = all_but_the_top(raw, n_components=0)
    assert abs(mean_pair_cosine(view)) < 0.05 and view.words == raw.words and view.name.endswith("(centred)")
    np.testing.assert_allclose(view.matrix.mean(axis=0), 0.0, atol=1e-4)
    assert view.most_similar("w0", topn=1)[0][0] == "w1"
    assert view.similarity("w0", "w2") < raw.similarity("w0", "w2") - 0.5
    # the top principal direction is gone: every vector is orthogonal to it
    one = all_but_the_top(raw, n_components=1)
    centred = base - base.mean(axis=0)
    top = np.linalg.svd(centred, full_matrices=False)[2][0]
    assert np.abs(one.matrix @ top).max() < 1e-3
    assert all_but_the_top(raw, n_components=1) is one  # cached per fingerprint
    assert all_but_the_top(raw).dim == dim and all_but_the_top(raw) is one  # default: max(1, dim // 100) = 1
    with pytest.raises(ValueError, match="n_components"):
        all_but_the_top(raw, n_components=dim)
