"""Evaluation: analogy accuracy and word-pair Spearman, checked against gensim on the same vectors."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from explorer import Vectors, evaluate_analogies, evaluate_similarity, spearman
from explorer.evaluation import rankdata

try:
    from explorer_fixtures import planted_analogies, tiny_vectors
except ImportError:  # tests/ imported as a package
    from tests.explorer_fixtures import planted_analogies, tiny_vectors

SECTIONS = ("capital-common-countries", "family", "gram1-adjective-to-adverb")


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    with open(datapath("questions-words.txt"), encoding="utf-8") as f:
        words, matrix, text = planted_analogies(f.read(), SECTIONS)
    path = tmp_path_factory.mktemp("eval") / "questions.txt"
    path.write_text(text, encoding="utf-8")
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix.copy())
    return Vectors(words, matrix, name="planted"), kv, path


@pytest.mark.parametrize("restrict", [None, 400])
def test_analogy_accuracy_matches_gensim(planted, restrict):
    vec, kv, path = planted
    limit = restrict or len(vec)
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=limit)
    rep = evaluate_analogies(vec, path, restrict_vocab=limit)
    assert 0.2 < rep.accuracy < 0.95  # the planted structure is found, but not perfectly
    assert rep.accuracy == pytest.approx(score)
    by_name = {s["section"]: s for s in sections}
    for s in rep.sections:
        g = by_name[s.name]
        assert (s.correct, s.answered) == (len(g["correct"]), len(g["correct"]) + len(g["incorrect"])), s.name
    assert [s.name for s in rep.sections] == list(SECTIONS)
    assert rep.questions == sum(1 for ln in path.read_text().splitlines() if not ln.startswith(":"))
    if restrict:
        assert rep.oov_rate > 0.1 and rep.total.oov == rep.questions - rep.answered
    rows = rep.rows()
    assert rows[-1]["section"] == "total" and rows[-1]["correct"] == rep.total.correct


def test_analogy_3cosmul_runs_and_records_mistakes(planted):
    vec, _, path = planted
    rep = evaluate_analogies(vec, path.read_bytes(), name="q.txt", method="3cosmul", restrict_vocab=len(vec))
    assert rep.source == "q.txt" and 0.2 < rep.accuracy < 1.0 and rep.method == "3cosmul"
    section, a, b, c, expected, predicted = rep.mistakes[0]
    assert section in SECTIONS and predicted != expected and predicted not in (a, b, c)


def test_analogy_file_quirks_and_case():
    v = tiny_vectors()
    text = b"KING QUEEN MAN WOMAN\n: royals\nman king woman queen\nboy prince girl princess\nbad line\n" \
           b"man king woman unicorn\n\n: empty\n"
    events = []
    rep = evaluate_analogies(v, io.BytesIO(text), progress=lambda f, m: events.append(f))
    assert [s.name for s in rep.sections] == ["(no section)", "royals", "empty"]
    assert rep.sections[0].correct == 1 and rep.sections[1].correct == 2 and rep.sections[1].oov == 1
    assert rep.invalid_lines == [5] and math.isnan(rep.sections[2].accuracy) and events[-1] == 1.0
    assert evaluate_analogies(v, text, case_insensitive=False).sections[0].answered == 0
    with pytest.raises(ValueError, match="no analogy questions"):
        evaluate_analogies(v, b": only a header\n")


def test_similarity_matches_gensim_wordsim353():
    rng = np.random.default_rng(5)
    with open(datapath("wordsim353.tsv"), encoding="utf-8") as f:
        pairs = [ln.split("\t")[:2] for ln in f if not ln.startswith("#")]
    vocab = sorted({w for p in pairs for w in p})
    vocab = [w for i, w in enumerate(vocab) if i % 9]  # drop some words: out-of-vocabulary pairs
    matrix = rng.standard_normal((len(vocab), 10)).astype(np.float32)
    vec = Vectors(vocab, matrix)
    kv = KeyedVectors(10)
    kv.add_vectors(vocab, matrix.copy())
    (pr, _), (sp, _), oov = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    rep = evaluate_similarity(vec, datapath("wordsim353.tsv"))
    assert rep.spearman == pytest.approx(sp, abs=1e-6) and rep.pearson == pytest.approx(pr, abs=1e-6)
    assert rep.oov_rate * 100 == pytest.approx(oov) and 0 < rep.oov < rep.pairs == 353
    assert rep.details[0][:3] == ("love", "sex", 6.77)


def test_similarity_separators_comments_and_errors():
    v = tiny_vectors()
    text = b"# comment\nword1,word2,score\nking,queen,9\nman woman 8\ncar\ttruck\t9.5\nboy, car, 1\nking dragon 3\n"
    rep = evaluate_similarity(v, text, name="pairs.csv")
    assert rep.invalid_lines == [2] and rep.pairs == 5 and rep.used == 4 and rep.oov_rate == pytest.approx(0.2)
    assert [d[:2] for d in rep.details] == [("king", "queen"), ("man", "woman"), ("car", "truck"), ("boy", "car")]
    with pytest.raises(ValueError, match="no usable word pairs"):
        evaluate_similarity(v, b"dragon unicorn 3\n")


def test_spearman_and_ranks_agree_with_scipy():
    from scipy import stats

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 8, 60).astype(float), rng.standard_normal(60)
    np.testing.assert_allclose(rankdata(x), stats.rankdata(x))
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0])
    assert spearman([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0) and math.isnan(spearman([1, 1, 1], [1, 2, 3]))
