"""Keep Streamlit's after-run cleanup away from a training that runs in this server process.

    from ui import runtime
    runtime.install()          # once per process, from app.py; idempotent and cheap on every rerun
    runtime.STATE              # RuntimeFix: what is in place, and a sentence when something could not be

Why: after *every* script run -- a full rerun and also every 1-second poll of an st.fragment -- Streamlit
1.67's ScriptRunner does two process-wide things (streamlit/runtime/scriptrunner/script_runner.py):

- `_clean_problem_modules()` calls `keras.backend.clear_session()` whenever "keras" is in sys.modules, and
  `import tensorflow` puts it there. That resets TensorFlow's default graph, clears the eager kernel cache
  (which the training thread is using at that moment) and runs a full `gc.collect()`;
- `gc.collect(2)` when `runner.postScriptGC` is on (the default).

A full collection walks every object TensorFlow, UMAP and plotly created (millions), holding the GIL, so the
training thread stalls twice a second per polling session: py-spy put 67 % of the server's samples there and
the app trained 5-45x slower than the same job in a plain process. This app never builds Keras models, so
clearing Keras' session protects nothing here. install() swaps Streamlit's cleanup for one that keeps the
harmless part (closing matplotlib figures) and skips Keras, and switches `runner.postScriptGC` off (it is
also off in .streamlit/config.toml; this covers other launch paths such as AppTest). Python's own
generational GC still runs as usual; install() also freezes the objects alive after each big import
(`gc.freeze()`, a few times per process), so its occasional full collections no longer walk TensorFlow's
module-level objects either (measured on this 2-core box under load: gc.collect(2) 1.4 s -> 20 us).

WORD2VEC_EXPLORER_RUNTIME_FIX=0 leaves Streamlit as it is (bench/app_throughput.py measures both ways).
If a future Streamlit renames the hook, install() leaves it alone and says so (log warning + RuntimeFix.problem,
which the app can show): the app still works, only training is slower again.
"""
from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_HOOK_MODULE = "streamlit.runtime.scriptrunner.script_runner"
_HOOK_NAME = "_clean_problem_modules"


@dataclass
class RuntimeFix:
    """What install() put in place (one per process)."""
    installed: bool = False
    cleanup_replaced: bool = False  # Streamlit's per-run keras.backend.clear_session() is skipped
    post_script_gc_off: bool = False  # runner.postScriptGC is False
    frozen_objects: int = 0  # objects moved out of the collector's way by gc.freeze()
    problem: str | None = None  # a sentence when the fix could not be applied (training is then slower)
    freezes: int = 0  # gc.freeze() calls so far
    modules_at_freeze: int = 0  # len(sys.modules) at the last freeze


# How long a Python thread may keep the GIL while another waits (Python's default: 5 ms). A script run holds it
# for tens of ms at a time; the training thread and the pair producer need it only for moments between NumPy
# and kernel calls, and each wait stalls the kernel. A shorter interval hands it over sooner.
SWITCH_INTERVAL_S = 0.001
FREEZE_AFTER_MODULES = 300  # re-freeze once this many modules were imported since the last freeze
MAX_FREEZES = 4
STATE = RuntimeFix()
_lock = threading.Lock()


def clean_problem_modules_without_keras() -> None:
    """Streamlit's after-run cleanup minus Keras: close matplotlib figures only (nothing here uses Keras)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # Streamlit's own hook logs and goes on as well: a cleanup must never break a run
            logger.warning("closing matplotlib figures after a run failed", exc_info=True)


def _replace_cleanup() -> str | None:
    import importlib

    try:
        mod = importlib.import_module(_HOOK_MODULE)
    except ImportError as e:
        return f"Streamlit's script runner moved ({e}); its after-run Keras cleanup may slow training down."
    if getattr(mod, _HOOK_NAME, None) is clean_problem_modules_without_keras:
        return None
    if not callable(getattr(mod, _HOOK_NAME, None)):
        return (f"this Streamlit version has no {_HOOK_NAME}() to replace; if it still clears Keras' session "
                "after every rerun, training in the app is slower than from the command line.")
    # The runner looks the name up in its module at every call, so rebinding the global is enough.
    setattr(mod, _HOOK_NAME, clean_problem_modules_without_keras)
    return None


def _post_script_gc_off() -> bool:
    from streamlit import config

    if config.get_option("runner.postScriptGC"):
        logger.info("runner.postScriptGC was on (no .streamlit/config.toml next to app.py?): switching it off")
        config.set_option("runner.postScriptGC", False, where_defined=__name__)
    return not config.get_option("runner.postScriptGC")


def install(freeze: bool = True) -> RuntimeFix:
    """Apply the fix once per process; call it at every rerun (cheap): it re-freezes the heap after big imports."""
    with _lock:
        first = not STATE.installed
        if os.environ.get("WORD2VEC_EXPLORER_RUNTIME_FIX", "1") == "0":  # bench: Streamlit exactly as it comes
            if first:
                STATE.installed, STATE.problem = True, "turned off by WORD2VEC_EXPLORER_RUNTIME_FIX=0"
                logger.warning("Streamlit's per-run cleanup left as is (WORD2VEC_EXPLORER_RUNTIME_FIX=0)")
            return STATE  # no hook swap and no gc.freeze, on every call
        if first:
            STATE.problem = _replace_cleanup()
            STATE.cleanup_replaced = STATE.problem is None
            STATE.post_script_gc_off = _post_script_gc_off()
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            STATE.installed = True
        # TensorFlow and UMAP are imported later, by the warm-up thread or the first training: freeze again
        # once a big import has landed, a few times per process at most.
        grown = len(sys.modules) - STATE.modules_at_freeze
        if freeze and STATE.freezes < MAX_FREEZES and grown >= FREEZE_AFTER_MODULES:
            freeze_heap()
    if first and STATE.problem:
        logger.warning("training may be slow in the app: %s", STATE.problem)
    elif first:
        logger.info("Streamlit's per-run Keras clear_session and full GC are off for this app")
    return STATE


def freeze_heap() -> int:
    """gc.freeze() what is alive now: automatic full collections then skip it (measured: 1.4 s -> 20 us).

    Frozen objects are still freed by reference counting; only garbage *cycles* among them are never
    collected. That is why it runs only a few times, right after big imports, when the heap is mostly modules."""
    gc.collect()
    gc.freeze()
    STATE.frozen_objects = gc.get_freeze_count()
    STATE.modules_at_freeze = len(sys.modules)
    STATE.freezes += 1
    logger.info("gc.freeze: %d objects kept out of the collector (%d modules loaded)",
                STATE.frozen_objects, STATE.modules_at_freeze)
    return STATE.frozen_objects


def session_alive_check():
    """A thread-safe `() -> bool` saying whether this browser session is still connected, or None outside a
    real server (AppTest, bare mode). TrainingJob(owner_alive=...) uses it so a closed tab stops its training
    within trainer.job.OWNER_GONE_GRACE_S instead of holding a slot until its lease runs out. Streamlit keeps
    a closed tab's session for its disconnected-session TTL, but it stops being *active* at once."""
    from streamlit import runtime as st_runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not st_runtime.exists():
        return None
    server, session_id = st_runtime.get_instance(), ctx.session_id
    return lambda: server.is_active_session(session_id)
