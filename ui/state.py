"""Session state: one typed SessionModel per browser session, owning everything the tabs share.

    model = state.session()               # created on the session's first run, then the same object
    model.runs["run 1"].latest_view()     # a JobView, shared by every reader in the same poll
    model.last_config                     # the last valid TrainConfig (Data tab, text settings)
    model.explore                         # what Explore shows: run, map, clusters, word, top-n (Export reads it)

Every tab takes the model as an argument; no tab reads another tab's widget keys. Widget keys stay widget
keys (Streamlit owns their values); the only place that sets another tab's widget is `select_run`, which
points Explore and Export at a newly finished run.

Each session has a temp folder for its uploads. Streamlit has no session-end hook, so folders idle for
SESSION_DIR_TTL_S are swept when a new session starts, and the process removes its own at exit.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from trainer import TrainConfig, TrainingJob, preset
from trainer.job import JobStatus, JobView

from .sidebar import DEFAULT_PRESET

logger = logging.getLogger(__name__)

SESSION_DIR_PREFIX = "w2v-explorer-"
SESSION_DIR_TTL_S = 6 * 3600  # a folder untouched this long belongs to a closed session
VIEW_MAX_AGE_S = 0.5  # readers within one poll (live panel, sidebar badge) share one JobView
MAX_LIVE_MAPS = 20  # per run: the live maps kept for browsing after training (one per epoch)
_MODEL_KEY = "session_model"
_OWN_DIRS: set[str] = set()  # session folders made by this process (removed at exit)


@dataclass
class LiveMap:
    """The live map of one training run: the snapshot words, the aligned mapper and one map per epoch."""
    words: list[str]
    counts: np.ndarray
    mapper: Any = None  # explorer.StableMapper, made at the first snapshot
    maps: dict[int, Any] = field(default_factory=dict)  # epoch -> MapResult, at most MAX_LIVE_MAPS (newest)
    figures: dict[int, Any] = field(default_factory=dict)  # epoch -> plotly figure (built once)
    mapped_at: float = 0.0  # time.monotonic() of the last projection (ui.live_view.LIVE_MAP_MIN_SECONDS)

    def keep(self, epoch: int, result: Any) -> None:
        self.maps[epoch] = result
        for old in sorted(self.maps)[:-MAX_LIVE_MAPS]:
            self.maps.pop(old, None)
            self.figures.pop(old, None)


@dataclass
class Run:
    """One entry in the session's run list: a training (running or finished) or loaded vectors."""
    name: str
    data_label: str  # what it was trained on, or the loaded file's name
    config: TrainConfig | None = None  # None for loaded vectors
    job: TrainingJob | None = None  # None for loaded vectors
    vectors: Any = None  # explorer.Vectors once finished (or loaded)
    result: Any = None  # trainer.RunResult once finished
    live: LiveMap | None = None  # None for loaded vectors or with the live map off
    announced: bool = False  # the full rerun after the job finished has happened
    loss_fig: tuple[int, Any] | None = None  # (history length, figure): the loss curve is rebuilt on new points
    poll_pace: float | None = None  # the interval the polling fragments were set up with (ui.live_view.pace)
    _view: JobView | None = field(default=None, repr=False)
    _view_at: float = field(default=0.0, repr=False)

    def latest_view(self) -> JobView | None:
        """The job's view, re-read at most every VIEW_MAX_AGE_S; reading it renews the job's lease."""
        if self.job is None:
            return None
        now = time.monotonic()
        if self._view is None or now - self._view_at > VIEW_MAX_AGE_S or self._view.finished != self.job.finished:
            self.job.touch()
            self._view, self._view_at = self.job.view(), now
        return self._view

    @property
    def status(self) -> JobStatus | None:
        return None if self.job is None else self.job.status

    @property
    def partial(self) -> bool:
        return bool(self.result is not None and self.result.partial)

    @property
    def label(self) -> str:
        """Name plus a marker, for select boxes."""
        if self.job is None:
            return f"{self.name} (loaded file)"
        if self.status is JobStatus.STOPPED:
            return f"{self.name} (stopped early: partial model)"
        if self.status is JobStatus.ERROR:
            return f"{self.name} (failed)"
        if not self.job.finished:
            return f"{self.name} ({self.status.value})"
        return self.name

    @property
    def usable(self) -> bool:
        return self.vectors is not None


@dataclass
class ExploreView:
    """What the Explore tab shows now; the Export tab offers exactly this as CSV."""
    run_name: str | None = None
    map_result: Any = None  # explorer.MapResult of the drawn map
    clusters: np.ndarray | None = None  # k-means labels of the drawn map (None when coloured by frequency)
    query: str | None = None  # the searched word, in the vocabulary's spelling (None when none or unknown)
    topn: int = 10


@dataclass
class ExploreExtras:
    """Explore state that outlives one script run: the map selection and the shared-link bookkeeping."""
    selection: Any = None  # explorer.selection.Selection of map words; None when nothing is selected
    selection_event: str = ""  # the last map selection event taken (a Clear must not bring it back)
    link_read: bool = False  # the page URL's view has been read (once per session)
    pending_link: Any = None  # explorer.view_state.ViewState from the URL, waiting for its run to be loaded
    pending_fields: tuple[str, ...] = ()  # the fields the link actually set


@dataclass
class SessionModel:
    session_dir: str
    runs: dict[str, Run] = field(default_factory=dict)
    run_counter: int = 0
    # The last valid sidebar config; until the sidebar gives one, the default preset's (not TrainConfig(),
    # which is word2vec's defaults: the Data tab's report would use other settings than the sidebar shows).
    last_config: TrainConfig = field(default_factory=lambda: preset(DEFAULT_PRESET))
    explore: ExploreView = field(default_factory=ExploreView)
    extras: ExploreExtras = field(default_factory=ExploreExtras)  # selection and shared link (ui/explore_features)
    train_view: str | None = None  # the run the Train tab shows
    eval_result: tuple[str, str, Any] | None = None  # (run name, test file name, report) of the quality check
    load_message: tuple[str, str] | None = None  # ("error" | "warning" | "success", text) after 'Load vectors'

    # ------------------------------------------------------------ runs
    def usable_runs(self) -> list[Run]:
        return [r for r in self.runs.values() if r.usable]

    def active_job_run(self) -> Run | None:
        """The run of this session whose training has not finished, if any."""
        return next((r for r in self.runs.values() if r.job is not None and not r.job.finished), None)

    def unique_name(self, wanted: str, ignore: str | None = None) -> str:
        wanted = " ".join(wanted.split())[:60] or "run"
        name, i = wanted, 2
        while name in self.runs and name != ignore:
            name, i = f"{wanted} ({i})", i + 1
        return name

    def next_run_name(self) -> str:
        self.run_counter += 1
        return self.unique_name(f"run {self.run_counter}")

    def delete_run(self, name: str) -> None:
        """Forget a run: stop its training, drop its vectors, maps and the views that show it."""
        run = self.runs.pop(name)
        if run.job is not None:
            run.job.stop()
        run.vectors = run.result = run.live = None
        if self.explore.run_name == name:
            self.explore = ExploreView()
        if self.eval_result and self.eval_result[0] == name:
            self.eval_result = None
        if self.train_view == name:
            self.train_view = None
        clear_session_files(self.session_dir)
        logger.info("deleted run %r", name)

    def rename_run(self, old: str, wanted: str) -> str:
        """Rename a run (a unique name is made from `wanted`); returns the new name."""
        new = self.unique_name(wanted, ignore=old)
        if new == old:
            return old
        self.runs = {(new if k == old else k): v for k, v in self.runs.items()}
        run = self.runs[new]
        run.name = new
        if run.vectors is not None:
            run.vectors.name = new
        if self.explore.run_name == old:
            self.explore.run_name = new
        if self.eval_result and self.eval_result[0] == old:
            self.eval_result = (new, *self.eval_result[1:])
        if self.train_view == old:
            self.train_view = new
        return new


# ---------------------------------------------------------------- session folders
def _sweep_idle_session_dirs(now: float | None = None, ttl: float = SESSION_DIR_TTL_S) -> int:
    """Remove session folders (of any process) idle for longer than ttl; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(SESSION_DIR_PREFIX + "*"):
        try:
            if path.is_dir() and now - path.stat().st_mtime > ttl:
                shutil.rmtree(path)
                removed += 1
        except OSError as exc:  # another process may be removing it too
            logger.warning("could not remove idle session folder %s: %s", path, exc)
    if removed:
        logger.info("removed %d idle session folder(s)", removed)
    return removed


def clear_session_files(path: str) -> None:
    """Remove the uploads stored in a session folder. Runs keep their corpus in memory (a Prepared), and the
    Data tab writes the current upload again on its next run, so nothing that is still shown is lost."""
    for entry in Path(path).glob("*"):
        try:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError as exc:
            logger.warning("could not remove %s: %s", entry, exc)


def _remove_own_dirs() -> None:
    for path in list(_OWN_DIRS):
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_remove_own_dirs)


def new_session_dir() -> str:
    _sweep_idle_session_dirs()
    path = tempfile.mkdtemp(prefix=SESSION_DIR_PREFIX)
    _OWN_DIRS.add(path)
    return path


def touch_session_dir(model: SessionModel) -> None:
    """Mark the session's folder as in use (the sweep goes by its modification time)."""
    try:
        os.utime(model.session_dir)
    except FileNotFoundError:  # swept while the session slept: make a fresh one
        os.makedirs(model.session_dir, exist_ok=True)


# ---------------------------------------------------------------- widgets kept across tabs
# Widgets on tabs that are not drawn in a run (tabs render lazily) would lose their values; their keys are
# re-assigned at the start of every run, which keeps them. Defaults live here, not in the widget calls.
WIDGET_DEFAULTS: dict[str, Any] = {
    "map_method": "umap", "map_dims": 2, "map_color": "frequency", "map_k": 8, "map_umap_neighbors": 15,
    "map_umap_min_dist": 0.1, "map_seed": 0, "map_labels": 30, "map_label_size": 12, "explore_centred": False,
    "explore_word": "", "explore_topn": 10, "explore_an_a": "",
    "explore_an_b": "", "explore_an_c": "", "explore_sim_a": "", "explore_sim_b": "", "explore_odd": "",
    "explore_eval_kind": "analogies", "explore_load_format": "auto", "explore_load_limit": 0, "compare_word": "",
    "compare_topn": 10, "train_run_name": "", "explore_axis_x": "", "explore_axis_y": "", "explore_sel_colour": False,
    "compare_min_count": 20,
}
KEPT_KEYS = (*WIDGET_DEFAULTS, "map_words", "explore_run", "export_run", "compare_a", "compare_b", "export_nb_words",
             "train_view", "train_probes")


def session() -> SessionModel:
    """This session's model (made on its first run); also keeps the lazily drawn tabs' widget values."""
    ss = st.session_state
    for key, value in WIDGET_DEFAULTS.items():
        if key not in ss:
            ss[key] = value
    for key in KEPT_KEYS:
        if key in ss:
            ss[key] = ss[key]
    if _MODEL_KEY not in ss:
        ss[_MODEL_KEY] = SessionModel(session_dir=new_session_dir())
    model = ss[_MODEL_KEY]
    touch_session_dir(model)
    return model


def add_run(model: SessionModel, run: Run, select: bool = True) -> None:
    model.runs[run.name] = run
    if select and run.usable:
        select_run(model, run.name)


def select_run(model: SessionModel, name: str) -> None:
    """Make a run the one shown in Explore and Export (their select boxes' values, set before they render)."""
    label = model.runs[name].label
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


def finalize_all(model: SessionModel) -> list[str]:
    """Finalize every finished run; names of those finished just now (the newest gets selected)."""
    done = [r.name for r in model.runs.values() if finalize(r)]
    if done:
        select_run(model, done[-1])
    return done
