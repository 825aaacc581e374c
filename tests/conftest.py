"""Shared fixtures for the app tests: a tiny corpus and an AppTest of app.py set up to train on it quickly."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("WORD2VEC_EXPLORER_WARMUP", "0")  # no background TensorFlow/UMAP warm-up in tests
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "shakespeare.txt"
QUICK = {"cfg_dim": 16, "cfg_epochs": 2, "cfg_min_count": 1, "cfg_live_words": 100}


@pytest.fixture(scope="session")
def tiny_text() -> str:
    """The first 300 lines of the bundled sample (about 1,700 words)."""
    return "\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:300]) + "\n"


def make_app(text: str | None = None, **settings):
    """AppTest of app.py with pasted `text` (None: the sample), quick settings and PCA maps."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["map_method"] = "pca"
    at.run()
    if text is not None:
        at.radio(key="data_source").set_value("paste")
        at.run()
        at.text_area(key="data_paste").input(text)
    for key, value in {**QUICK, **settings}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def model(at):
    """The session's ui.state.SessionModel (the one typed owner of what the tabs share)."""
    return at.session_state["session_model"]


def open_tab(at, name: str):
    """Switch the app's tabs (only the open one renders its content), then rerun."""
    from ui.common import TABS

    at.session_state["main_tab"] = TABS[name]
    return at.run()


def train(at, timeout: float = 90.0):
    """Open the Train tab, press Start and rerun until the newest run has finished; returns that run."""
    open_tab(at, "train")
    at.button(key="train_start").click()
    at.run()
    return wait_finished(at, timeout)


def wait_finished(at, timeout: float = 90.0):
    run = list(model(at).runs.values())[-1]
    deadline = time.monotonic() + timeout
    while not run.job.finished:
        assert time.monotonic() < deadline, f"training did not finish in {timeout} s"
        run.job.join(0.25)
    at.run()  # the finished job becomes explorable vectors
    at.run()
    assert not at.exception, at.exception
    return run


@pytest.fixture
def encode_calls(monkeypatch) -> list[int]:
    """Counts CorpusScan.encode calls (the vocabulary size of each): how often a corpus is encoded."""
    from trainer.corpus_types import CorpusScan

    calls: list[int] = []
    original = CorpusScan.encode

    def counting(self, vocab):
        calls.append(len(vocab))
        return original(self, vocab)

    monkeypatch.setattr(CorpusScan, "encode", counting)
    return calls


@pytest.fixture
def app(tiny_text):
    return make_app(tiny_text)


def browser_app_server(log_name: str, start_timeout: float):
    """A module-scoped `server` fixture for the browser tests: `streamlit run app.py` on a free port
    (bench.app_throughput's launcher, shared with the load test and the bench), log in tests/artifacts/."""
    @pytest.fixture(scope="module")
    def server():
        from bench.app_throughput import streamlit_server
        artifacts = ROOT / "tests" / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        with streamlit_server(artifacts / log_name, env={"WORD2VEC_EXPLORER_WARMUP": "0"},
                              start_timeout=start_timeout) as (url, _proc):
            yield url
    return server
