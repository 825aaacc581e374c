"""The session model through AppTest and on its own: one prepared corpus per text and vocabulary setting,
runs renamed and deleted, session folders swept, error sentences, and the UI fixes that read the model."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import make_app, model, open_tab, train

from trainer import ConfigError, TrainConfig
from trainer.backend import BackendChoice
from trainer.job import JobStatus
from ui import state
from ui.common import sentence
from ui.sidebar import friendly_config_error
from ui.state import VIEW_MAX_AGE_S


def test_the_app_encodes_a_text_once_across_optimisation_changes(tiny_text, encode_calls):
    calls = encode_calls
    at = make_app(tiny_text + "a line only this test uses, so no other test's cache answers\n")
    open_tab(at, "train")
    assert len(calls) == 1 and not at.button(key="train_start").disabled
    at.number_input(key="cfg_epochs").set_value(3).run()
    at.number_input(key="cfg_lr").set_value(0.05).run()
    at.number_input(key="cfg_dim").set_value(12).run()
    assert len(calls) == 1, "epochs, learning rate and vector size must not re-encode the text"
    run = train(at)
    assert run.status is JobStatus.DONE and run.result.epochs_completed == 3 and len(calls) == 1
    assert run.job.data is None  # the finished job let go of the corpus
    at.number_input(key="cfg_min_count").set_value(2).run()  # a vocabulary setting: a new encoding
    assert len(calls) == 2 and not at.exception


def test_runs_can_be_renamed_and_deleted(app):
    first = train(app)
    app.session_state["cfg_dim"] = 12
    second = train(app)
    open_tab(app, "train")
    app.selectbox(key="runs_manage_target").set_value("run 1")
    app.text_input(key="runs_manage_name").input("small")
    app.button(key="runs_rename").click().run()
    assert list(model(app).runs) == ["small", "run 2"] and first.name == "small" and first.vectors.name == "small"
    assert not app.exception
    open_tab(app, "explore")
    assert app.selectbox(key="explore_run").options == ["small", "run 2"]
    open_tab(app, "train")
    app.selectbox(key="runs_manage_target").set_value("run 2")
    app.button(key="runs_delete").click().run()
    assert list(model(app).runs) == ["small"] and second.vectors is None and second.live is None
    assert not app.exception
    open_tab(app, "explore")
    assert app.selectbox(key="explore_run").options == ["small"] and not app.exception


def test_deleting_a_running_training_stops_it_and_removes_old_uploads(tiny_text):
    at = make_app(None, cfg_epochs=1000)
    at.radio(key="data_source").set_value("upload").run()
    at.file_uploader(key="data_upload").set_value(("story.txt", tiny_text.encode(), "text/plain")).run()
    folder = Path(model(at).session_dir)
    open_tab(at, "train")
    at.button(key="train_start").click().run()
    run = list(model(at).runs.values())[-1]
    open_tab(at, "data")
    at.file_uploader(key="data_upload").set_value(("other.txt", tiny_text[::-1].encode(), "text/plain")).run()
    assert sorted(p.name.split("-", 1)[1] for p in folder.iterdir()) == ["other.txt", "story.txt"]
    open_tab(at, "train")
    at.button(key="runs_delete").click().run()
    assert run.job.join(30) and run.job.status is JobStatus.STOPPED
    assert model(at).runs == {} and not at.exception
    assert not at.button(key="train_start").disabled  # the session may train again
    assert [p.name.split("-", 1)[1] for p in folder.iterdir()] == ["other.txt"]  # only the upload still chosen


def test_one_progress_bar_per_view_and_the_table_says_training(tiny_text):
    """On the Train tab the live panel has the progress bar and the sidebar one still line (no second bar to lag
    behind the first, no second poll); on any other tab the sidebar badge has it, from the same JobView."""
    at = make_app(tiny_text, cfg_epochs=1000)
    open_tab(at, "train")
    at.button(key="train_start").click().run()
    run = list(model(at).runs.values())[-1]
    deadline = time.monotonic() + 60
    while run.job.view().progress <= 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(VIEW_MAX_AGE_S)  # the UI re-reads a job's view at most this often (ui/state.py)
    at.run()
    main = next(p.proto.text for p in at.main.get("progress") if "Training **run 1**" in p.proto.text)
    assert re.search(r" (\d+)% ", main) and not at.sidebar.get("progress"), main
    assert any("**run 1** is training: progress on the Train tab" in c.value for c in at.sidebar.caption)
    table = next(d.value for d in at.dataframe if "settings" in d.value.columns)
    assert table["status"].tolist() == ["training"]
    time.sleep(VIEW_MAX_AGE_S)
    open_tab(at, "data")
    badge = next(p.proto.text for p in at.sidebar.get("progress"))
    shown = int(re.search(r": (\d+)%$", badge).group(1))
    assert badge.startswith("Training **run 1**") and 0 < shown <= round(100 * run.job.view().progress), badge
    open_tab(at, "train")
    at.button(key="train_stop").click().run()
    assert run.job.join(30)


def test_a_slower_engine_is_announced_in_words(app, monkeypatch):
    choice = BackendChoice("tf", "/CPU:0", "the compiled kernel could not be built here", slower=True,
                           advice="Install a C++ compiler (g++) and restart to train several times faster.")
    monkeypatch.setattr("trainer.backend.choose_backend", lambda cfg: choice, raising=False)
    open_tab(app, "train")
    warning = next(w.value for w in app.warning if "Training with" in w.value)
    assert "TensorFlow operations on the CPU" in warning and "compiler" in warning and not app.exception


def test_no_reproducible_switch_in_the_app(app):
    assert "Reproducible" not in [c.label for c in app.sidebar.checkbox]
    run = train(app)
    assert run.config.deterministic is False


def test_words_on_the_map_start_fresh_for_each_run(app):
    train(app)
    open_tab(app, "explore")
    app.slider(key="map_words").set_value(20).run()
    assert model(app).explore.map_result.n == 20
    app.session_state["cfg_min_count"] = 1
    train(app)  # the new run is selected in Explore
    open_tab(app, "explore")
    assert model(app).explore.run_name == "run 2"
    assert model(app).explore.map_result.n == min(2000, len(model(app).runs["run 2"].vectors)) > 20


def test_a_failed_quality_check_clears_the_previous_result(app):
    train(app)
    at = open_tab(app, "explore")
    at.file_uploader(key="explore_eval_file").set_value(
        ("q.txt", b": test\nfirst citizen second citizen\nyou we they us\n", "text/plain")).run()
    at.button(key="explore_eval_btn").click().run()
    assert any(m.label == "Answered" for m in at.metric)
    at.radio(key="explore_eval_kind").set_value("pairs")
    at.file_uploader(key="explore_eval_file").set_value(("p.txt", b"zzqx yyqx 3.0\n", "text/plain")).run()
    at.button(key="explore_eval_btn").click().run()
    error = next(e.value for e in at.error if "no usable word pairs" in e.value)
    assert "none of its 1 pair\\(s\\) has both words in this model's vocabulary" in error
    assert "unreadable" not in error and "all out of vocabulary" not in error
    assert not any(m.label in ("Answered", "Spearman") for m in at.metric) and model(at).eval_result is None


def test_a_projector_file_without_metadata_says_the_words_are_missing():
    at = open_tab(make_app(), "explore")
    rows = "".join("\t".join(f"{x:.3f}" for x in np.random.default_rng(i).normal(size=4)) + "\n" for i in range(30))
    at.file_uploader(key="explore_load_file").set_value(("vectors.tsv", rows.encode(), "text/tab-separated-values"))
    at.button(key="explore_load_btn").click().run()
    assert not at.success and any("the words are missing" in w.value for w in at.warning) and not at.exception


def test_error_sentences_keep_file_names_and_name_the_widget():
    assert sentence("village_stories.txt is empty") == "village\\_stories\\.txt is empty\\."
    assert sentence("the text is empty").startswith("The text")
    err = ConfigError("dim=0 is not allowed: use an integer from 1 to 4096.", field="dim", value=0,
                      rule="use an integer from 1 to 4096")
    assert friendly_config_error(err) == ("Vector size (dim=0) is not allowed: use an integer from 1 to 4096. "
                                          "Change it in the sidebar.")
    with pytest.raises(ConfigError) as real:
        TrainConfig(window=0).validate()
    assert friendly_config_error(real.value).startswith("Context window (window=0) is not allowed")


def test_idle_session_folders_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(state.tempfile, "gettempdir", lambda: str(tmp_path))
    old = tmp_path / f"{state.SESSION_DIR_PREFIX}old"
    fresh = tmp_path / f"{state.SESSION_DIR_PREFIX}fresh"
    other = tmp_path / "someone-else"
    for d in (old, fresh, other):
        d.mkdir()
        (d / "upload.txt").write_text("x")
    past = time.time() - state.SESSION_DIR_TTL_S - 60
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    assert state._sweep_idle_session_dirs() == 1
    assert not old.exists() and fresh.exists() and other.exists()
    made = state.new_session_dir()
    assert os.path.isdir(made) and made in state._OWN_DIRS
    state._remove_own_dirs()  # what atexit does
    assert not os.path.exists(made)
