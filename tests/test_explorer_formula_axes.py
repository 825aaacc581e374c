"""Formula axes: parsing, clear errors, exact projections on a tiny hand-built space, unplaced words, figure."""
import numpy as np
import pytest

from explorer import Vectors
from explorer.figures_compare import formula_figure
from explorer.formula_axes import Formula, FormulaError, parse_formula, project_formula
from tests.explorer_fixtures import TINY, tiny_vectors


@pytest.mark.parametrize("text, terms", [
    ("woman - man", ((1, "woman"), (-1, "man"))),
    ("king", ((1, "king"),)),
    ("  a + b - c ", ((1, "a"), (1, "b"), (-1, "c"))),
    ("-man + woman", ((-1, "man"), (1, "woman"))),
    ("woman -man", ((1, "woman"), (-1, "man"))),
    ("well-known - known", ((1, "well-known"), (-1, "known"))),
])
def test_parse(text, terms):
    f = parse_formula(text)
    assert f.terms == terms
    assert parse_formula(str(f)) == f  # the normalised text reads back the same


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("woman -", "ends with an operator"),
    ("woman - - man", "two operators in a row"),
    ("woman man", "missing + or - between 'woman' and 'man'"),
    ("a -- b", "not a word or an operator"),
    (" + ".join("abcdefghijk"), "at most 10"),
    ("x" * 300, "under 200"),
])
def test_bad_syntax_gets_a_sentence(text, message):
    with pytest.raises(FormulaError) as e:
        parse_formula(text)
    assert message in str(e.value)


def test_unknown_words_are_named_with_hints():
    vec = tiny_vectors()
    with pytest.raises(FormulaError) as e:
        project_formula(vec, "woman - mann", "qeen - zzz")
    assert e.value.unknown == ["mann", "qeen", "zzz"]
    assert "'mann' (did you mean 'man'" in str(e.value) and "'zzz'" in str(e.value)
    with pytest.raises(FormulaError, match="did you mean 'woman - man'"):
        parse_formula("woman-man").check(vec)
    with pytest.raises(FormulaError, match="is zero"):
        project_formula(vec, "king - king", "man")


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_exact_projections_on_tiny_space():
    vec = tiny_vectors()
    p = project_formula(vec, "woman - man", "king - boy")
    ax = unit(unit(TINY["woman"]) - unit(TINY["man"]))  # (-1, 0, 0, 0, 0)
    ay = unit(unit(TINY["king"]) - unit(TINY["boy"]))  # (0, 1, 1, 0, 0) / sqrt 2
    np.testing.assert_allclose(ax, [-1, 0, 0, 0, 0], atol=1e-12)
    for w in TINY:
        x, y = p.coordinate(w)
        assert x == pytest.approx(float(unit(TINY[w]) @ ax), abs=1e-6)
        assert y == pytest.approx(float(unit(TINY[w]) @ ay), abs=1e-6)
    # Hand values: every person has length sqrt(7); queen = (-1, 1, 1, 2, 0).
    assert p.coordinate("queen") == pytest.approx((1 / np.sqrt(7), 2 / np.sqrt(14)), abs=1e-6)
    assert p.coordinate("car") == pytest.approx((0.0, 0.0), abs=1e-7)
    assert p.x_label == "woman - man" and p.y_label == "king - boy" and p.unplaced == ()


def test_raw_projection_without_normalising():
    vec = tiny_vectors()
    p = project_formula(vec, "queen", "car", normalize=False)
    q = np.array(TINY["queen"])
    for w in ("king", "girl", "truck"):
        assert p.coordinate(w)[0] == pytest.approx(float(np.array(TINY[w]) @ q), abs=1e-5)


def test_words_that_cannot_be_placed_are_listed():
    words = list(TINY) + ["nothing"]
    m = np.vstack([np.array([TINY[w] for w in TINY]), np.zeros(5)])
    vec = Vectors(words, m, name="tiny0")
    p = project_formula(vec, "king", "queen", words=["king", "ghost", "nothing", "car"])
    assert p.words == ("king", "car")
    assert dict(p.unplaced) == {"ghost": "not in tiny0", "nothing": "zero vector"}
    assert p.coordinate("king")[0] == pytest.approx(1.0)


def test_formula_figure_has_labelled_axes_and_escapes():
    words = list(TINY) + ["<i>x</i>"]
    m = np.vstack([np.array([TINY[w] for w in TINY]), np.ones(5)])
    vec = Vectors(words, m, name="tiny")
    p = project_formula(vec, Formula(((1, "woman"), (-1, "man"))), "king", words=words + ["ghost"])
    fig = formula_figure(p, highlight=["<i>x</i>"], label_extremes=1)
    assert fig.layout.xaxis.title.text == "x = woman - man (cosine with the axis)"
    assert fig.layout.yaxis.title.text.startswith("y = king")
    assert "1 word(s) could not be placed" in fig.layout.title.text
    points, labelled = fig.data
    assert list(points.customdata) == list(p.words) and len(points.x) == len(TINY) + 1
    assert "&lt;i&gt;x&lt;/i&gt;" in labelled.text and "<i>x</i>" not in "".join(labelled.text)
    assert {"woman", "man", "king"} <= set(labelled.customdata)
