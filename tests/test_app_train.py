"""Train tab through AppTest: train to completion, stop mid-run, queueing, runs kept across reruns."""
from __future__ import annotations

import io
import time
import zipfile

from conftest import make_app, model, open_tab, train, wait_finished

from trainer import TrainingJob
from trainer.job import LEASE_SECONDS, JobStatus
from ui.live_view import QUEUED_POLL_SECONDS
from ui.state import VIEW_MAX_AGE_S


def charts(at) -> int:
    return len(at.get("plotly_chart"))


def run_statuses(at) -> list[str]:
    return next(d.value for d in at.dataframe if "settings" in d.value.columns)["status"].tolist()


def test_train_to_completion(app):
    open_tab(app, "train")
    assert "Words to learn" in [m.label for m in app.metric] and charts(app) == 0
    run = train(app)
    assert run.status is JobStatus.DONE and run.vectors is not None and len(run.vectors) > 300
    assert any("**run 1** finished" in s.value and "Explore" in s.value for s in app.success)
    assert charts(app) == 2  # the loss curve and the live map
    assert max(run.live.maps) == 1 and list(run.live.figures) == [1]  # the last epoch mapped and shown
    assert run.config.snapshot_top == 100 and run.result.epochs_completed == 2
    assert run_statuses(app) == ["finished"]
    assert app.session_state["explore_run"] == "run 1" == app.session_state["export_run"]
    assert not app.exception


def test_stop_mid_run_keeps_a_marked_partial_model_and_ignores_bad_uploads(tiny_text):
    at = make_app(tiny_text, cfg_epochs=1000, cfg_batch_size=16)
    open_tab(at, "train")
    at.button(key="train_start").click().run()
    run = list(model(at).runs.values())[-1]
    deadline = time.monotonic() + 60
    while run.job.view().progress <= 0:
        assert time.monotonic() < deadline and not run.job.finished
        time.sleep(0.1)
    time.sleep(VIEW_MAX_AGE_S)  # readers share a JobView up to this old: the one cached at the click said "Preparing"
    at.run()
    assert any("Training **run 1**" in p.proto.text for p in at.get("progress"))
    assert at.button(key="train_start").disabled  # one training per session at a time
    # A bad upload meanwhile: an error for the upload, the training carries on untouched.
    open_tab(at, "data")
    assert any("Training **run 1**" in p.proto.text for p in at.sidebar.get("progress"))  # the badge, off the Train tab
    at.radio(key="data_source").set_value("upload").run()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../x.txt", "no")
    at.file_uploader(key="data_upload").set_value(("bad.zip", buf.getvalue(), "application/zip")).run()
    assert any("unsafe path" in e.value for e in at.error) and not at.exception
    assert run.job.status is JobStatus.RUNNING
    open_tab(at, "train")
    at.button(key="train_stop").click().run()
    wait_finished(at)
    assert run.status is JobStatus.STOPPED and run.partial and 0 < run.result.epochs_completed < 1000
    assert any("stopped early" in w.value and "partial model" in w.value for w in at.warning)
    open_tab(at, "explore")
    assert at.selectbox(key="explore_run").value == "run 1 (stopped early: partial model)"
    assert any("stopped early" in w.value for w in at.warning) and not at.exception
    open_tab(at, "train")
    assert run_statuses(at) == ["stopped early (partial)"]


def test_extra_trainings_queue_with_a_message(app, monkeypatch):
    monkeypatch.setattr(TrainingJob, "max_concurrent", 0)
    open_tab(app, "train")
    app.button(key="train_start").click().run()
    run = list(model(app).runs.values())[-1]
    deadline = time.monotonic() + 10
    while run.job.status is not JobStatus.QUEUED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    app.run()
    assert any("waiting for a free training slot" in i.value for i in app.info)
    assert any("is waiting for a free training slot" in c.value for c in app.sidebar.caption)  # the sidebar too
    open_tab(app, "data")
    assert any("waiting for a free slot" in p.proto.text for p in app.sidebar.get("progress"))  # the badge says so
    open_tab(app, "train")
    assert run.poll_pace == QUEUED_POLL_SECONDS  # slow polls while queued
    assert run.job.lease_s == LEASE_SECONDS  # the polls renew the lease
    app.button(key="train_stop").click().run()
    wait_finished(app)
    assert run.status is JobStatus.STOPPED and run.vectors is None and not app.exception


def test_runs_are_kept_and_switchable(app):
    train(app)
    app.session_state["cfg_dim"] = 24
    app.text_input(key="train_run_name").input("bigger")
    app.run()
    second = train(app)
    assert second.name == "bigger" and second.vectors.dim == 24
    assert list(model(app).runs) == ["run 1", "bigger"]
    assert app.session_state["explore_run"] == "bigger" and app.text_input(key="train_run_name").value == ""
    view = app.selectbox(key="train_view")
    assert view.options == ["run 1", "bigger"]
    view.set_value("run 1").run()
    assert any("**run 1** finished" in s.value for s in app.success)
    for tab in ("explore", "data", "train"):  # reruns, tab switches and widget changes lose nothing
        open_tab(app, tab).number_input(key="cfg_epochs").set_value(3).run()
    assert list(model(app).runs) == ["run 1", "bigger"] and not app.exception
    assert app.selectbox(key="train_view").value == "run 1"
    assert open_tab(app, "explore").selectbox(key="explore_run").options == ["run 1", "bigger"]


def test_start_pressed_before_a_changed_setting_was_drawn_starts_nothing(app):
    """Start's callback gets the config of the run that drew the button; a setting changed after that (a click
    that interrupted the setting's rerun) must not start a training with the old settings."""
    open_tab(app, "train")
    app.session_state["cfg_dim"] = 24  # changed, and Start pressed before a script run drew it
    app.button(key="train_start").click().run()
    assert model(app).runs == {} and not app.exception
    assert any("press **Start training** again" in t.value for t in app.toast)
    run = train(app)  # pressed again: the sidebar's settings now
    assert run.vectors.dim == 24 and run.status is JobStatus.DONE


def test_live_map_projects_the_newest_snapshot_aligned_to_the_shown_one():
    """Each poll maps the newest epoch only (epochs that ended between two polls would never be on screen),
    aligned to the map shown before it; a poll with nothing new maps nothing; a new map waits until
    LIVE_MAP_MIN_SECONDS after the last one, except the run's final map."""
    from types import SimpleNamespace

    import numpy as np

    from trainer import preset
    from ui import state
    from ui.live_view import LIVE_MAP_MIN_SECONDS, live_map_figure

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    snaps = {e: rng.normal(size=(40, 8)).astype(np.float32) for e in range(5)}
    run = state.Run(name="r", data_label="t", config=preset("quick demo", epochs=5),
                    live=state.LiveMap(words, np.arange(40, 0, -1)))

    def view(*epochs, finished=False):
        return SimpleNamespace(snapshots=tuple((e, snaps[e]) for e in epochs), finished=finished)

    def age(seconds):  # as if the last map had been made `seconds` ago
        run.live.mapped_at = time.monotonic() - seconds

    first = live_map_figure(run, view(0))
    assert sorted(run.live.maps) == [0] and run.live.mapper.step == 1
    age(LIVE_MAP_MIN_SECONDS)
    later = live_map_figure(run, view(0, 1, 2))  # two epochs ended between polls
    assert sorted(run.live.maps) == [0, 2] and run.live.mapper.step == 2
    assert run.live.maps[2].info["aligned"] and list(run.live.figures) == [2] and later is not first
    assert live_map_figure(run, view(1, 2)) is later and run.live.mapper.step == 2  # nothing new: no work
    assert "after epoch 3 of 5" in later.layout.title.text
    age(LIVE_MAP_MIN_SECONDS / 3)
    assert live_map_figure(run, view(2, 3)) is later and run.live.mapper.step == 2  # too soon after the last
    final = live_map_figure(run, view(3, 4, finished=True))  # the run's last map is never held back
    assert "after epoch 5 of 5" in final.layout.title.text and run.live.mapper.step == 3
