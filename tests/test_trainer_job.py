"""TrainingJob: background training observed through JobView, stop, errors, the queue, the lease, and
re-use of a prepared corpus."""
import logging
import time

import pytest

from tests.synthetic import planted_groups
from trainer import TextSource, TrainConfig, TrainingJob, prepare, train
from trainer import job as job_module
from trainer.job import INTERNAL_ERROR, LEASE_SECONDS, JobStatus, JobView, LossPoint
from trainer.loop import TARGET_LOSS_POINTS, report_interval

TEXT, _ = planted_groups(n_lines=1500)
CFG = TrainConfig(dim=16, window=3, negative=3, epochs=2, min_count=1, sample=0, snapshot_top=20, report_every=1)


def wait(job, timeout=60):
    deadline = time.time() + timeout
    while not job.finished and time.time() < deadline:
        time.sleep(0.02)
    assert job.finished, job.view().status


def wait_status(job, status, timeout=30):
    deadline = time.time() + timeout
    while job.view().status is not status:
        assert time.time() < deadline and not job.finished, job.view().status
        time.sleep(0.01)


def test_job_runs_to_completion_and_publishes_a_frozen_view():
    job = TrainingJob(TextSource.from_text(TEXT), CFG, name="t1").start()
    seen = set()
    while not job.finished:
        seen.add(job.view().status)
        time.sleep(0.01)
    view = job.view()
    assert isinstance(view, JobView) and view.status is JobStatus.DONE and view.error is None
    assert seen <= {JobStatus.QUEUED, JobStatus.PREPARING, JobStatus.RUNNING, JobStatus.DONE}
    assert view.progress == pytest.approx(1.0) and view.history and isinstance(view.history[0], LossPoint)
    assert [p.progress for p in view.history] == sorted(p.progress for p in view.history)
    assert [e for e, _ in view.snapshots] == [0, 1] and view.snapshots[0][1].shape == (20, 16)
    assert view.summary["vocab_size"] == 120 and view.backend_name in ("native", "tf", "tf-gpu")
    assert job.result is not None and not job.result.partial
    assert job.data is None  # the corpus is dropped once the job has ended
    with pytest.raises(AttributeError):
        view.status = JobStatus.ERROR  # frozen: a reader can never change the job's state


def test_stop_keeps_the_partial_model():
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=200))
    job = TrainingJob(prep, CFG.replace(epochs=200), name="long").start()
    while job.view().progress < 0.01 and not job.finished:
        time.sleep(0.01)
    job.stop()
    wait(job)
    assert job.view().status is JobStatus.STOPPED
    assert job.result.partial and 0 < job.result.epochs_completed < 200


def test_input_errors_become_a_sentence_not_an_exception():
    job = TrainingJob(TextSource.from_text("a b\n"), CFG.replace(min_count=1, negative=5), name="bad").start()
    wait(job)
    view = job.view()
    assert view.status is JobStatus.ERROR and "negative" in view.error.message and not view.error.internal
    assert job.result is None


def test_a_bug_is_logged_with_its_traceback_and_the_user_gets_a_pointer(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr("trainer.loop.train", broken)
    with caplog.at_level(logging.ERROR, logger="trainer.job"):
        job = TrainingJob(TextSource.from_text(TEXT), CFG, name="buggy").start()
        wait(job)
    view = job.view()
    assert view.status is JobStatus.ERROR and view.error.internal and view.error.message == INTERNAL_ERROR
    assert "secret internals" not in view.error.message
    record = next(r for r in caplog.records if "buggy" in r.getMessage())
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_server_wide_limit_queues_extra_jobs(monkeypatch):
    monkeypatch.setattr(TrainingJob, "max_concurrent", 1)
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=200))
    first = TrainingJob(prep, CFG.replace(epochs=200), name="first").start()
    wait_status(first, JobStatus.RUNNING)
    second = TrainingJob(prep, CFG.replace(epochs=1), name="second").start()
    time.sleep(0.3)
    assert second.view().status is JobStatus.QUEUED
    first.stop()
    wait(first)
    wait(second)
    assert second.view().status is JobStatus.DONE


def test_a_running_job_nobody_polls_stops_when_its_lease_runs_out():
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=1000))
    kept = TrainingJob(prep, CFG.replace(epochs=1000), name="watched", lease_s=0.5).start()
    orphan = TrainingJob(prep, CFG.replace(epochs=1000), name="orphan", lease_s=0.5).start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3.0:  # six leases long; only one of the two is polled
        kept.touch()
        time.sleep(0.05)
    assert orphan.finished and orphan.view().status is JobStatus.STOPPED
    assert not kept.finished, "a polled job must keep training"
    kept.stop()
    wait(kept)


def test_a_queued_job_nobody_polls_gives_up_its_place(monkeypatch):
    monkeypatch.setattr(TrainingJob, "max_concurrent", 0)
    job = TrainingJob(TextSource.from_text(TEXT), CFG, name="queued", lease_s=0.3).start()
    wait(job, timeout=10)
    assert job.view().status is JobStatus.STOPPED and job.result is None
    assert job.view().error.message == "stopped before it started"


def test_a_job_whose_owner_is_gone_stops_after_the_grace_period(monkeypatch):
    monkeypatch.setattr(job_module, "OWNER_GONE_GRACE_S", 0.5)
    monkeypatch.setattr(job_module, "OWNER_CHECK_S", 0.05)
    prep = prepare(TextSource.from_text(TEXT), CFG.replace(epochs=1000))
    owner = {"here": True, "checks": 0}

    def alive() -> bool:
        owner["checks"] += 1
        return owner["here"]

    job = TrainingJob(prep, CFG.replace(epochs=1000), name="tab", lease_s=LEASE_SECONDS, owner_alive=alive).start()
    time.sleep(1.0)  # twice the grace period with the page connected: it keeps training
    assert not job.finished and owner["checks"] >= 2
    owner["here"] = False  # the tab closes; nobody calls touch() either, but the lease is long
    t_gone = time.monotonic()
    wait(job, timeout=30)
    assert job.view().status is JobStatus.STOPPED and job.result is not None and job.result.partial
    assert time.monotonic() - t_gone < 0.5 + 10, "the owner check, not the 180 s lease, stopped it"


def test_library_jobs_have_no_lease():
    assert TrainingJob(TextSource.from_text(TEXT), CFG).lease_s is None


def test_a_prepared_corpus_is_encoded_once_and_reused_across_optimisation_changes(encode_calls):
    calls = encode_calls
    cfg = CFG.replace(epochs=1, report_every=TrainConfig.report_every)
    prep = prepare(TextSource.from_text(TEXT), cfg)
    assert len(calls) == 1
    job = TrainingJob(prep, cfg.replace(epochs=2), name="more epochs").start()  # the app's path
    wait(job)
    assert job.view().status is JobStatus.DONE and job.result.epochs_completed == 2
    train(prep, cfg.replace(lr=0.05, min_lr=0.001))
    train(prep, cfg.replace(dim=8, window=2, negative=4, sample=1e-3, optimizer="adam", lr=0.01))
    assert len(calls) == 1, "epochs, learning rate and model settings must not re-encode the corpus"
    assert prepare(prep, cfg.replace(epochs=9)) is prep
    assert not prep.matches(cfg.replace(min_count=3))
    train(prep, cfg.replace(min_count=3))  # a vocabulary setting does need a new encoding
    assert len(calls) == 2


def test_reusing_a_prepared_corpus_still_checks_the_new_settings():
    prep = prepare(TextSource.from_text(TEXT), CFG)
    from trainer import ConfigError
    with pytest.raises(ConfigError) as err:
        train(prep, CFG.replace(lr=-1.0))
    assert err.value.field == "lr"
    with pytest.raises(ConfigError, match="negative"):
        train(prep, CFG.replace(negative=100, min_count=1, max_vocab=50))  # max_vocab differs: new vocabulary
    with pytest.raises(ConfigError, match="negative"):
        prepare(prepare(TextSource.from_text("a b c\n" * 5), CFG.replace(negative=2)), CFG.replace(negative=5))


def test_the_trainer_chooses_the_report_interval():
    default = TrainConfig.report_every
    assert report_interval(TrainConfig(), expected_steps=12) == 1  # tiny runs: an event every step
    assert report_interval(TrainConfig(), expected_steps=TARGET_LOSS_POINTS * 4) == 4
    assert report_interval(TrainConfig(), expected_steps=10**9) == default  # never sparser than the default
    assert report_interval(TrainConfig(report_every=default + 7), expected_steps=5) == default + 7  # explicit wins
    events = []
    train(TextSource.from_text(TEXT), CFG.replace(epochs=1, report_every=default), on_event=events.append)
    assert sum(ev.kind == "progress" for ev in events) >= 2  # a short run still draws a curve
