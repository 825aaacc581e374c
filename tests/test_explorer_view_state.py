"""Shareable views: ViewState <-> query parameters (strings), validation that reports instead of raising."""
import pytest

from explorer.view_state import ViewState


def test_round_trip_through_strings():
    view = ViewState(run="shakespeare (2)", method="pca", dims=3, top_n=2500, colour="cluster", word="king's",
                     x_axis="woman - man", y_axis="rich + happy - poor")
    params = view.to_query_params()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert params == {"run": "shakespeare (2)", "method": "pca", "dims": "3", "top": "2500", "colour": "cluster",
                      "word": "king's", "x": "woman - man", "y": "rich + happy - poor"}
    back, problems = ViewState.from_query_params(params)
    assert back == view and problems == []


def test_defaults_give_a_plain_url():
    assert ViewState().to_query_params() == {}
    assert ViewState.from_query_params({}) == (ViewState(), [])
    assert ViewState(word="love").to_query_params() == {"word": "love"}


@pytest.mark.parametrize("params, field, words", [
    ({"method": "mds"}, "method", "map method 'mds'"),
    ({"dims": "4"}, "dims", "dims 4 must be 2 or 3"),
    ({"dims": "two"}, "dims", "'two' is not a whole number"),
    ({"top": "-5"}, "top_n", "is not a whole number"),
    ({"top": "3"}, "top_n", "from 10"),
    ({"top": "99999999999999"}, "top_n", "is not a whole number"),
    ({"colour": "rainbow"}, "colour", "colour 'rainbow'"),
    ({"word": "x" * 500}, "word", "at most 200 characters"),
    ({"x": "a\x00b"}, "x_axis", "control characters"),
])
def test_invalid_values_are_reported_and_defaulted(params, field, words):
    view, problems = ViewState.from_query_params({**params, "word": params.get("word", "king")})
    assert len(problems) == 1 and words in problems[0] and "default" in problems[0]
    assert getattr(view, field) == getattr(ViewState(), field)
    if field != "word":
        assert view.word == "king"  # the valid values are kept


def test_unknown_keys_repeated_values_and_case():
    view, problems = ViewState.from_query_params({"utm_source": "x", "method": ["umap", "PCA "], "dims": 3})
    assert view.method == "pca" and view.dims == 3
    assert problems == ["The link holds an unknown setting 'utm_source'; it was ignored."]


def test_run_problem_names_the_missing_run():
    assert ViewState().run_problem(["a"]) is None
    assert ViewState(run="a").run_problem(["a", "b"]) is None
    msg = ViewState(run="gone").run_problem(["a", "b"])
    assert "'gone'" in msg and "not loaded" in msg and "'a', 'b'" in msg
    assert "none yet" in ViewState(run="gone").run_problem([])
    assert ViewState(run="a").replace(word="x").word == "x"
