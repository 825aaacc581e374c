"""Explore and Compare tabs through AppTest: map, search, word tools, loading vectors, quality check."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import make_app, model, open_tab, train


@pytest.fixture
def trained(app):
    train(app)
    return open_tab(app, "explore")


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_search_shows_neighbours_on_the_map_and_in_a_table(trained):
    at = trained
    assert model(at).explore.map_result.method == "pca"
    at.text_input(key="explore_word").input("Citizen").run()  # case is forgiven
    assert not at.exception and any("Nearest words to “citizen”" in h.value for h in at.subheader)
    table = frame_with(at, "similarity")
    assert len(table) == 10 and "citizen" not in table["word"].tolist()
    assert table["similarity"].is_monotonic_decreasing and table["count"].min() >= 1
    at.text_input(key="explore_word").input("citizn").run()
    assert any("not in this model's vocabulary" in w.value and "'citizen'" in w.value for w in at.warning)
    assert not at.exception


def test_map_options_3d_clusters_and_word_count(trained):
    at = trained
    at.session_state["map_dims"] = 3
    at.session_state["map_color"] = "cluster"
    at.run()
    m = model(at).explore.map_result
    assert not at.exception and m.dims == 3
    at.session_state["map_dims"] = 2
    at.slider(key="map_words").set_value(50).run()
    assert model(at).explore.map_result.n == 50 and not at.exception
    at.session_state["map_method"] = "tsne"
    at.run()
    assert model(at).explore.map_result.method == "tsne" and not at.exception


def test_analogy_similarity_and_odd_one_out(trained):
    at = trained
    at.text_input(key="explore_an_a").input("first")
    at.text_input(key="explore_an_b").input("citizen")
    at.text_input(key="explore_an_c").input("second").run()
    assert len(frame_with(at, "similarity")) == 5  # the analogy answers (no word searched)
    at.text_input(key="explore_sim_a").input("you")
    at.text_input(key="explore_sim_b").input("citizen").run()
    sim = float(next(m.value for m in at.metric if m.label == "Cosine similarity"))
    assert -1 <= sim <= 1
    at.text_input(key="explore_odd").input("you we they citizen").run()
    assert next(m.value for m in at.metric if m.label == "Doesn't fit") in {"you", "we", "they", "citizen"}
    at.text_input(key="explore_odd").input("you we zzzqx").run()
    assert any("'zzzqx' is not in" in w.value for w in at.warning) and not at.exception


def test_load_pretrained_vectors_and_reject_a_broken_file():
    at = open_tab(make_app(), "explore")
    assert any("Nothing to explore yet" in i.value for i in at.info)
    rng = np.random.default_rng(0)
    rows = "".join(f"w{i} " + " ".join(f"{x:.4f}" for x in rng.normal(size=8)) + "\n" for i in range(40))
    at.file_uploader(key="explore_load_file").set_value(("glove.txt", rows.encode(), "text/plain"))
    at.button(key="explore_load_btn").click().run()
    assert any("Loaded 40 words × 8 dimensions" in s.value for s in at.success)
    assert at.selectbox(key="explore_run").value == "glove (loaded file)" and not at.exception
    at.text_input(key="explore_word").input("w1").run()
    assert len(frame_with(at, "similarity")) == 10
    at.file_uploader(key="explore_load_file").set_value(("bad.txt", b"3 8\nw0 1 2\n", "text/plain"))
    at.button(key="explore_load_btn").click().run()
    assert any("Could not load bad" in e.value for e in at.error) and not at.exception
    assert list(model(at).runs) == ["glove"]


def test_quality_check_with_an_analogy_file(trained):
    at = trained
    at.file_uploader(key="explore_eval_file").set_value(
        ("q.txt", b": test\nfirst citizen second citizen\nyou we they us\nfoo bar baz qux\n", "text/plain")).run()
    at.button(key="explore_eval_btn").click().run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Answered").endswith("of 3")
    at.radio(key="explore_eval_kind").set_value("pairs")
    at.file_uploader(key="explore_eval_file").set_value(("p.txt", b"nonsense without numbers\n", "text/plain")).run()
    at.button(key="explore_eval_btn").click().run()
    assert any("no usable word pairs" in e.value for e in at.error) and not at.exception


def test_compare_two_runs(trained):
    at = open_tab(trained, "compare")
    assert any("Comparing needs two finished runs" in i.value for i in at.info)
    at.session_state["cfg_window"] = 2
    train(at)
    open_tab(at, "compare")
    assert at.selectbox(key="compare_a").value == "run 1" and at.selectbox(key="compare_b").value == "run 2"
    settings = frame_with(at, "A")
    assert "Context window" in settings["setting"].tolist()
    at.text_input(key="compare_word").input("citizen").run()
    assert not at.exception
    tables = [d.value for d in at.dataframe if "in both" in d.value.columns]
    assert len(tables) == 2 and all(len(t) == 10 for t in tables)
    common = next(m.value for m in at.metric if m.label == "Neighbours in common")
    assert common.endswith("of 10") and int(common.split()[0]) == (tables[0]["in both"] == "✓").sum()


def test_centred_similarities_and_label_controls(trained):
    at = trained
    at.text_input(key="explore_sim_a").input("you")
    at.text_input(key="explore_sim_b").input("citizen").run()
    raw = float(next(m.value for m in at.metric if m.label == "Cosine similarity"))
    at.toggle(key="explore_centred").set_value(True).run()
    centred = float(next(m.value for m in at.metric if m.label == "Cosine similarity"))
    assert not at.exception and centred != pytest.approx(raw, abs=1e-6)  # computed on other vectors
    assert any("centred vectors" in c.value and "mean cosine of random word pairs" in c.value for c in at.caption)
    at.number_input(key="map_labels").set_value(5)
    at.number_input(key="map_label_size").set_value(18).run()
    fig = at.get("plotly_chart")[0].proto.spec
    assert not at.exception and '"size":18' in fig.replace(" ", "")
