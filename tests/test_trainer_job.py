"""TrainingJob: background training observed by polling, stop, errors, the concurrency queue."""
import time

import pytest

from tests.synthetic import planted_groups
from trainer import TextSource, TrainConfig, TrainingJob, prepare

TEXT, _ = planted_groups(n_lines=1500)
CFG = TrainConfig(dim=16, window=3, negative=3, epochs=2, min_count=1, sample=0, snapshot_top=20, report_every=1)


def wait(job, timeout=60):
    deadline = time.time() + timeout
    while not job.finished and time.time() < deadline:
        time.sleep(0.02)
    assert job.finished, job.view()["status"]


def test_job_runs_to_completion_and_publishes_progress():
    job = TrainingJob(TextSource.from_text(TEXT), CFG, name="t1").start()
    seen = set()
    while not job.finished:
        seen.add(job.view()["status"])
        time.sleep(0.01)
    view = job.view()
    assert view["status"] == "done" and view["error"] is None
    assert view["progress"] == pytest.approx(1.0) and view["history"]
    assert [e for e, _ in view["snapshots"]] == [0, 1] and view["snapshots"][0][1].shape == (20, 16)
    assert view["info"]["vocab_size"] == 120
    assert job.result is not None and not job.result.partial


def test_stop_keeps_the_partial_model():
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=200))
    job = TrainingJob(prep, CFG.replace(epochs=200), name="long").start()
    while job.view()["progress"] < 0.01 and not job.finished:
        time.sleep(0.01)
    job.stop()
    wait(job)
    assert job.view()["status"] == "stopped"
    assert job.result.partial and 0 < job.result.epochs_completed < 200


def test_errors_become_a_message_not_an_exception():
    job = TrainingJob(TextSource.from_text("a b\n"), CFG.replace(min_count=1, negative=5), name="bad").start()
    wait(job)
    view = job.view()
    assert view["status"] == "error" and "negative" in view["error"] and job.result is None


def test_server_wide_limit_queues_extra_jobs(monkeypatch):
    monkeypatch.setattr(TrainingJob, "max_concurrent", 1)
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=200))
    first = TrainingJob(prep, CFG.replace(epochs=200), name="first").start()
    while first.view()["status"] not in ("running",):
        time.sleep(0.01)
    second = TrainingJob(prep, CFG.replace(epochs=1), name="second").start()
    time.sleep(0.3)
    assert second.view()["status"] == "queued"
    first.stop()
    wait(first)
    wait(second)
    assert second.view()["status"] == "done"
