"""Selections from plotly selection events: words, table with counts, CSV, colour groups, clearing."""
import csv
import io

import numpy as np
import pytest

from explorer import Vectors
from explorer.selection import OTHER, Selection, colour_groups, selection_from_event
from tests.explorer_fixtures import tiny_vectors


def event(points):
    """The shape st.plotly_chart(on_select="rerun") returns."""
    return {"selection": {"points": points, "point_indices": [p.get("point_index") for p in points],
                          "box": [{"x": [0, 1], "y": [0, 1]}], "lasso": []}}


def test_words_from_customdata_string_or_list():
    ev = event([{"curve_number": 0, "point_index": 4, "customdata": "king"},
                {"curve_number": 1, "point_index": 0, "customdata": ["queen", 12]},
                {"curve_number": 0, "point_index": 5, "customdata": "king"},  # the same word twice
                {"curve_number": 2, "point_index": 1}])  # a line trace: no word
    sel = selection_from_event(ev)
    assert sel.words == ("king", "queen") and sel.skipped == 1
    assert "king" in sel and len(sel) == 2 and sel


def test_words_from_point_indices():
    words = ["a", "b", "c", "d"]
    ev = event([{"curve_number": 0, "point_index": 2}, {"curve_number": 0, "point_index": 0},
                {"curve_number": 0, "point_index": 9}])
    sel = selection_from_event(ev, words=words)
    assert sel.words == ("c", "a") and sel.skipped == 1
    per_trace = {0: ["a", "b"], 1: ["x", "y"]}
    sel = selection_from_event(event([{"curve_number": 1, "point_index": 1}, {"curve_number": 3, "point_index": 0}]),
                               words=per_trace)
    assert sel.words == ("y",) and sel.skipped == 1
    assert Selection.from_indices([3, -1, 1], words).words == ("d", "b")


def test_empty_and_other_inputs():
    assert selection_from_event(None) == Selection.empty()
    assert selection_from_event({"selection": {"points": []}}).words == ()
    assert selection_from_event([{"customdata": "x"}]).words == ("x",)  # a bare points list
    with pytest.raises(TypeError, match="not a plotly selection event"):
        selection_from_event({"selection": 42})
    sel = Selection.of(["a", "b"])
    assert not sel.clear() and sel.union(Selection.of(["b", "c"])).words == ("a", "b", "c")


def test_table_counts_and_csv_round_trip():
    vec = tiny_vectors()  # counts 100, 90, ... in TINY order: man, woman, king, ...
    sel = Selection.of(["king", "ghost", "man", "queen"])
    df = sel.table(vec)
    assert list(df["word"]) == ["man", "king", "queen", "ghost"]  # most frequent first, unknown last
    assert list(df["count"][:3]) == [100, 80, 70] and df["count"].isna().tolist() == [False] * 3 + [True]
    assert list(df["rank"][:3]) == [1, 3, 4]
    rows = list(csv.reader(io.StringIO(sel.csv(vec).decode("utf-8"))))
    assert rows == [["word", "count", "rank"], ["man", "100", "1"], ["king", "80", "3"], ["queen", "70", "4"],
                    ["ghost", "", ""]]
    tricky = Vectors(['a,"b"', "new\nline", "=cmd"], np.eye(3), [3, 2, 1], name="t")
    back = list(csv.reader(io.StringIO(Selection.of(tricky.words).csv(tricky).decode("utf-8"))))
    assert [r[0] for r in back[1:]] == list(tricky.words)
    assert Selection.of(["x"]).table().columns.tolist() == ["word", "count", "rank"]


def test_colour_groups_and_mask():
    words = ["a", "b", "c", "d", "e"]
    g1, g2 = Selection.of(["b", "c"]), Selection.of(["c", "e"])
    assert g1.mask(words).tolist() == [False, True, True, False, False]
    groups = colour_groups(words, {"first": g1, "second": g2})
    assert groups.tolist() == [OTHER, "first", "first", OTHER, "second"]  # the first group wins on overlap


def test_streamlit_selection_state_objects():
    # The exact types st.plotly_chart(on_select="rerun") returns (the library itself never imports streamlit).
    from streamlit.elements.plotly_chart import PlotlySelectionState, PlotlyState

    state = PlotlySelectionState({"points": [{"curve_number": 0, "point_number": 3, "point_index": 3,
                                              "x": 0.1, "y": 0.2, "customdata": ["love"]}],
                                  "point_indices": [3], "box": [{"x": [0, 1], "y": [0, 1]}], "lasso": []})
    assert selection_from_event(PlotlyState({"selection": state})).words == ("love",)
    assert selection_from_event(state).words == ("love",)
