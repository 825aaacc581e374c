"""Issue 12 features through AppTest: aligned comparison, formula axes, probe words, map selections and
shareable views (the Explore state in the page URL)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import APP, QUICK, make_app, model, open_tab, train

from explorer.selection import Selection
from ui import explore_features

TABLES = {"compare_moved_table": "cosine distance", "explore_unplaced_table": "why", "explore_sel_table": None}


def frame(at, key: str):
    """The table drawn under `key`, told apart by a column only it has (the selection: word, count, rank)."""
    col = TABLES[key]
    return next(d.value for d in at.dataframe
                if (col in d.value.columns if col else list(d.value.columns) == ["word", "count", "rank"]))


def plain(text: str) -> str:
    """Markdown-escaped text (ui.common.md) as the reader sees it."""
    return text.replace("\\", "")


def charts(at, key: str) -> list:
    return [c for c in at.get("plotly_chart") if getattr(c, "proto", None) is not None and key in c.proto.id]


def glove_bytes(n: int = 40, dim: int = 8, zero: tuple[int, ...] = (), seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        v = np.zeros(dim) if i in zero else rng.normal(size=dim)
        rows.append(f"w{i} " + " ".join(f"{x:.4f}" for x in v) + "\n")
    return "".join(rows).encode()


def load_glove(at, data: bytes, name: str = "glove.txt"):
    open_tab(at, "explore")
    at.file_uploader(key="explore_load_file").set_value((name, data, "text/plain"))
    at.button(key="explore_load_btn").click().run()
    assert any("Loaded" in s.value for s in at.success), [e.value for e in at.error]
    return at


@pytest.fixture
def trained(app):
    train(app, timeout=400)
    return open_tab(app, "explore")


# ------------------------------------------------------------------ 1. aligned comparison
def test_compare_aligns_two_runs_of_different_dims_and_lists_moved_words(app):
    train(app, timeout=400)
    app.session_state["cfg_dim"] = 12  # B lives in another space: aligned in a shared PCA space
    app.run()
    train(app, timeout=400)
    at = open_tab(app, "compare")
    at.slider(key="compare_min_count").set_value(2).run()
    assert not at.exception, at.exception
    assert any("aligned to" in c.value and "shared 12-dim PCA space" in plain(c.value) for c in at.caption)
    moved = frame(at, "compare_moved_table")
    assert len(moved) == 30 and moved["rank"].tolist() == list(range(1, 31))
    dist = moved["cosine distance"].to_numpy()
    assert np.all((dist >= 0) & (dist <= 2)) and np.all(np.diff(dist) <= 1e-3)  # moved most first (ties: overlap)
    runs = list(model(at).runs.values())
    assert all(c >= 2 for c in moved[f"count in {runs[0].name}"])  # the threshold filters rare words
    assert charts(at, "compare_aligned_map")


def test_compare_with_vectors_sharing_no_words_explains_why(app):
    train(app, timeout=400)
    load_glove(app, glove_bytes())
    at = open_tab(app, "compare")
    assert any("share only 0 word(s)" in plain(w.value) for w in at.warning), [w.value for w in at.warning]
    assert not at.exception


# ------------------------------------------------------------------ 2. formula axes
def test_formula_axes_draw_a_chart_and_reject_unknown_words(trained):
    at = trained
    at.text_input(key="explore_axis_x").input("first - second")
    at.text_input(key="explore_axis_y").input("citizen").run()
    assert not at.exception and charts(at, "explore_formula_chart")
    at.text_input(key="explore_axis_y").input("citizen - zzqxw").run()
    assert any("zzqxw" in e.value for e in at.error) and not charts(at, "explore_formula_chart")


def test_formula_axes_list_the_words_they_cannot_place():
    at = load_glove(make_app(), glove_bytes(zero=(7, 9)))
    at.text_input(key="explore_axis_x").input("w1 - w2")
    at.text_input(key="explore_axis_y").input("w3").run()
    assert not at.exception
    assert any("2 word(s) could not be placed" in c.value for c in at.caption)
    assert sorted(frame(at, "explore_unplaced_table")["word"]) == ["w7", "w9"]


# ------------------------------------------------------------------ 3. probe words
def test_probe_words_show_their_neighbours_in_the_live_panel(app):
    at = open_tab(app, "train")
    defaults = at.multiselect(key="train_probes").value
    assert 1 <= len(defaults) <= 5 and all(w.isalpha() for w in defaults)
    at.session_state["train_probes"] = ["citizen", "zzqxw"]
    at.run()
    run = train(at, timeout=400)
    assert run.config.probe_words == ("citizen", "zzqxw")
    assert [e for e, _ in run.job.view().probe_history] == [0, 1]  # one snapshot per epoch
    lines = [m.value for m in at.markdown if m.value.startswith("**citizen** · epoch 2:")]
    assert len(lines) == 1 and lines[0].count(" · ") == 1 + 4  # the epoch, then 5 neighbours
    assert any("zzqxw" in w.value and "Not in the vocabulary" in w.value for w in at.warning)


# ------------------------------------------------------------------ 4. selections
def test_a_box_selection_gives_a_table_a_download_a_colour_group_and_clears(trained):
    at = trained
    m = model(at).explore.map_result
    words = list(m.words[3:8])
    event = {"selection": {"points": [{"curve_number": 0, "point_index": 3 + i, "customdata": w}
                                      for i, w in enumerate(words)] + [{"curve_number": 1, "point_index": 0}],
                           "box": [{"x": [0, 1], "y": [0, 1]}], "lasso": [], "point_indices": []}}
    assert explore_features.is_area_selection(event)
    explore_features.take_selection(model(at), event)  # what the map's on_select callback does
    at.run()
    table = frame(at, "explore_sel_table")
    assert sorted(table["word"]) == sorted(words) and table["count"].is_monotonic_decreasing
    assert any("1 point(s) without a word" in m.value for m in at.markdown)
    downloads = at.get("download_button")
    assert any(d.proto.label == "Download the selection (CSV)" for d in downloads)
    csv = model(at).extras.selection.csv(next(r.vectors for r in model(at).runs.values()))
    assert csv.decode().splitlines()[0] == "word,count,rank" and len(csv.decode().splitlines()) == 6
    at.checkbox(key="explore_sel_colour").check().run()
    names = [t.get("name", "") for t in json.loads(charts(at, "explore_map")[0].proto.spec)["data"]]
    assert not at.exception and "matches (5)" in names  # the selection is the map's colour group
    at.button(key="explore_sel_clear").click().run()
    assert model(at).extras.selection == Selection.empty() and not at.session_state["explore_sel_colour"]
    assert any("pick Box or Lasso select" in c.value for c in at.caption)
    explore_features.take_selection(model(at), event)  # the same event after a rerun does not come back
    assert model(at).extras.selection == Selection.empty()


# ------------------------------------------------------------------ 5. shareable views
def app_with_link(tiny_text: str, **params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    at.session_state["map_method"] = "pca"  # a link that sets no method keeps this (UMAP compiles slowly)
    at.run()  # a link opens on the Explore tab, which reads it
    at.first_messages = [plain(m.value) for m in (*at.warning, *at.info)]
    at.radio(key="data_source").set_value("paste")
    at.run()
    at.text_area(key="data_paste").input(tiny_text)
    for key, value in QUICK.items():
        at.session_state[key] = value
    at.run()
    return at


def test_a_shared_link_restores_the_view_once_its_run_is_loaded(tiny_text):
    at = app_with_link(tiny_text, run="run 1", method="pca", dims="2", top="50", word="citizen",
                       x="first - second", y="citizen")
    assert any("This link shows run 'run 1'" in m for m in at.first_messages)
    assert any("This link shows run 'run 1'" in plain(i.value) for i in open_tab(at, "explore").info)
    train(at, timeout=400)
    at = open_tab(at, "explore")
    assert not at.exception, at.exception
    assert at.text_input(key="explore_word").value == "citizen"
    assert at.text_input(key="explore_axis_x").value == "first - second"
    m = model(at).explore.map_result
    assert m.method == "pca" and m.n == 50 and charts(at, "explore_formula_chart")
    assert at.query_params["run"] == "run 1" and at.query_params["word"] == "citizen"
    assert at.query_params["x"] == "first - second" and at.query_params["top"] == "50"
    at.text_input(key="explore_word").input("first").run()
    assert at.query_params["word"] == "first"  # the URL follows the view


def test_a_link_to_an_unknown_run_or_with_bad_values_says_so(tiny_text):
    at = app_with_link(tiny_text, run="nope", method="warp")
    assert any("map method 'warp'" in m and "umap" in m for m in at.first_messages), at.first_messages
    train(at, timeout=400)
    at = open_tab(at, "explore")
    assert any("This link shows run 'nope', which is not loaded" in plain(i.value) and "run 1" in i.value
               for i in at.info)
    assert model(at).explore.map_result is not None and not at.exception  # the tab still works
