"""Session state: the per-session folder, the runs of this session, and finishing runs.

Everything lives in st.session_state behind `if key not in st.session_state`, so reruns and widget
changes never lose a run. A run's training job holds its own prepared data: what the user does with
the data tab afterwards cannot disturb it.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from trainer import TrainConfig, TrainingJob


@dataclass
class Run:
    """One entry in the session's run list: a training (running or finished) or loaded vectors."""
    name: str
    data_label: str  # what it was trained on, or the loaded file's name
    config: TrainConfig | None = None  # None for loaded vectors
    job: TrainingJob | None = None  # None for loaded vectors
    vectors: Any = None  # explorer.Vectors once finished (or loaded)
    result: Any = None  # trainer.RunResult once finished
    snapshot_words: list[str] = field(default_factory=list)  # words of the live-map snapshots, in row order
    preset_label: str = ""
    created: float = field(default_factory=time.time)
    live: dict = field(default_factory=dict)  # live-map state (the stable mapper and its coordinates)

    @property
    def kind(self) -> str:
        return "loaded" if self.job is None else "trained"

    @property
    def status(self) -> str:
        return "loaded" if self.job is None else self.job.status

    @property
    def partial(self) -> bool:
        return bool(self.result is not None and self.result.partial)

    @property
    def label(self) -> str:
        """Name plus a marker, for select boxes."""
        if self.job is None:
            return f"{self.name} (loaded file)"
        if self.status in ("stopped",):
            return f"{self.name} (stopped early: partial model)"
        if self.status == "error":
            return f"{self.name} (failed)"
        if not self.job.finished:
            return f"{self.name} ({self.status})"
        return self.name

    @property
    def usable(self) -> bool:
        return self.vectors is not None


# Widgets on tabs that are not drawn in a run (tabs render lazily) would lose their values; their keys are
# re-assigned at the start of every run, which keeps them. Defaults live here, not in the widget calls.
WIDGET_DEFAULTS: dict[str, Any] = {
    "map_method": "umap", "map_dims": 2, "map_color": "frequency", "map_k": 8, "map_umap_neighbors": 15,
    "map_umap_min_dist": 0.1, "map_seed": 0, "explore_word": "", "explore_topn": 10, "explore_an_a": "",
    "explore_an_b": "", "explore_an_c": "", "explore_sim_a": "", "explore_sim_b": "", "explore_odd": "",
    "explore_eval_kind": "analogies", "explore_load_format": "auto", "explore_load_limit": 0, "compare_word": "",
    "compare_topn": 10, "train_run_name": "",
}
KEPT_KEYS = (*WIDGET_DEFAULTS, "map_words", "explore_run", "export_run", "compare_a", "compare_b", "export_nb_words",
             "train_view")


def init_state() -> None:
    ss = st.session_state
    for key, value in WIDGET_DEFAULTS.items():
        if key not in ss:
            ss[key] = value
    for key in KEPT_KEYS:
        if key in ss:
            ss[key] = ss[key]
    if ss.pop("clear_run_name", False):
        ss["train_run_name"] = ""
    if "session_dir" not in st.session_state:
        st.session_state["session_dir"] = tempfile.mkdtemp(prefix="w2v-explorer-")
    if "runs" not in st.session_state:
        st.session_state["runs"] = {}
    if "run_counter" not in st.session_state:
        st.session_state["run_counter"] = 0


def runs() -> dict[str, Run]:
    return st.session_state["runs"]


def usable_runs() -> list[Run]:
    return [r for r in runs().values() if r.usable]


def active_job_run() -> Run | None:
    """The run of this session whose training has not finished, if any."""
    for r in runs().values():
        if r.job is not None and not r.job.finished:
            return r
    return None


def unique_name(wanted: str) -> str:
    wanted = " ".join(wanted.split())[:60] or "run"
    name, i = wanted, 2
    while name in runs():
        name, i = f"{wanted} ({i})", i + 1
    return name


def next_run_name() -> str:
    st.session_state["run_counter"] += 1
    return unique_name(f"run {st.session_state['run_counter']}")


def add_run(run: Run, select: bool = True) -> None:
    runs()[run.name] = run
    if select and run.usable:
        select_run(run.name)


def select_run(name: str) -> None:
    """Make a run the one shown in Explore and Export (widget keys may be set before they render)."""
    label = runs()[name].label
    st.session_state["explore_run"] = label
    st.session_state["export_run"] = label


def finalize(run: Run) -> bool:
    """Turn a finished job's result into explorer Vectors once; True when this call did it."""
    if run.job is None or run.vectors is not None or not run.job.finished or run.job.result is None:
        return False
    from explorer import Vectors

    run.result = run.job.result
    run.vectors = Vectors.from_run(run.result, name=run.name)
    return True


def finalize_all() -> list[str]:
    """Finalize every finished run; names of those finished just now (they get selected)."""
    done = [r.name for r in runs().values() if finalize(r)]
    if done:
        select_run(done[-1])
    return done
