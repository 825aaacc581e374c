"""ui/runtime.py: Streamlit's after-run cleanup must not clear Keras' session or run a full GC per rerun.

A fake "keras" module in sys.modules counts clear_session() calls: Streamlit's own hook calls it (checked, so
the fake is known to detect it), ours does not, and neither does a real AppTest run of app.py, where the
ScriptRunner runs its cleanup after every script run.
"""
from __future__ import annotations

import gc
import sys
import types

import pytest
from streamlit import config
from streamlit.runtime.scriptrunner import script_runner

from ui import runtime


class FakeKeras(types.ModuleType):
    def __init__(self):
        super().__init__("keras")
        self.calls = 0
        self.backend = types.SimpleNamespace(clear_session=self._clear)

    def _clear(self) -> None:
        self.calls += 1


@pytest.fixture
def fake_keras(monkeypatch):
    fake = FakeKeras()
    monkeypatch.setitem(sys.modules, "keras", fake)
    return fake


@pytest.fixture
def fresh_state(monkeypatch):
    """A not-yet-installed fix, with Streamlit's hook and option restored afterwards."""
    monkeypatch.setattr(runtime, "STATE", runtime.RuntimeFix())
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    before = config.get_option("runner.postScriptGC")
    yield runtime.STATE
    config.set_option("runner.postScriptGC", before)


def test_streamlit_hook_clears_keras_and_ours_does_not(fake_keras, fresh_state):
    original = script_runner._clean_problem_modules
    if original is not runtime.clean_problem_modules_without_keras:  # another test may have installed it
        original()
        assert fake_keras.calls == 1, "Streamlit's hook no longer clears Keras: ui/runtime.py may be unneeded"
        fake_keras.calls = 0
    state = runtime.install(freeze=False)
    assert state.installed and state.cleanup_replaced and state.problem is None
    assert script_runner._clean_problem_modules is runtime.clean_problem_modules_without_keras
    script_runner._clean_problem_modules()
    assert fake_keras.calls == 0


def test_install_turns_post_script_gc_off_and_is_idempotent(fresh_state):
    config.set_option("runner.postScriptGC", True)
    state = runtime.install(freeze=False)
    assert state.post_script_gc_off and config.get_option("runner.postScriptGC") is False
    assert runtime.install(freeze=False) is state


def test_missing_hook_is_reported_not_raised(fresh_state, monkeypatch):
    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    state = runtime.install(freeze=False)
    assert state.installed and not state.cleanup_replaced
    assert "_clean_problem_modules" in state.problem


def test_matplotlib_figures_are_still_closed(monkeypatch):
    closed = []
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", types.SimpleNamespace(close=closed.append))
    runtime.clean_problem_modules_without_keras()
    assert closed == ["all"]


def test_freeze_moves_live_objects_out_of_the_collector(fresh_state):
    try:
        n = runtime.freeze_heap()
        # Frozen objects are still freed by reference counting (other threads may drop some between the two
        # reads), so the count can only shrink after the freeze, and only by a few.
        assert n > 1000 and n - 1000 < gc.get_freeze_count() <= n and runtime.STATE.frozen_objects == n
        assert runtime.STATE.freezes == 1 and runtime.STATE.modules_at_freeze == len(sys.modules)
    finally:
        gc.unfreeze()


def _run_app_twice():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["map_method"] = "pca"
    at.run()
    at.run()
    assert not at.exception, at.exception


def test_app_run_without_the_fix_clears_keras(fake_keras, fresh_state, monkeypatch):
    """Control: in a real AppTest run, Streamlit's cleanup does reach the (fake) Keras when nothing stops it."""
    monkeypatch.setattr(runtime, "install", lambda freeze=True: runtime.STATE)
    if script_runner._clean_problem_modules is runtime.clean_problem_modules_without_keras:
        pytest.skip("Streamlit's original hook is gone from this process")
    _run_app_twice()
    assert fake_keras.calls >= 2  # once after every script run


def test_app_run_leaves_keras_alone(fake_keras, fresh_state):
    """A real script run of app.py: the ScriptRunner's cleanup runs after it, and Keras is not cleared."""
    try:
        _run_app_twice()
        assert runtime.STATE.installed and runtime.STATE.cleanup_replaced
        assert fake_keras.calls == 0
        assert config.get_option("runner.postScriptGC") is False
    finally:
        gc.unfreeze()


def test_turned_off_changes_nothing(fresh_state, monkeypatch):
    """WORD2VEC_EXPLORER_RUNTIME_FIX=0 (the benchmark's "Streamlit defaults"): no hook swap, no freeze, ever."""
    monkeypatch.setenv("WORD2VEC_EXPLORER_RUNTIME_FIX", "0")
    original = script_runner._clean_problem_modules
    frozen = gc.get_freeze_count()
    for _ in range(2):
        state = runtime.install()
    assert state.installed and not state.cleanup_replaced and "WORD2VEC_EXPLORER_RUNTIME_FIX" in state.problem
    assert script_runner._clean_problem_modules is original
    assert gc.get_freeze_count() == frozen and state.freezes == 0
