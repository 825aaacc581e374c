"""Train tab: the work estimate, Start, the run's live view (ui/live_view.py) and the table of this session's
runs (rename, delete). The worker thread never calls Streamlit.

The first loss point must be on screen within seconds of pressing Start (issue 10: <= 3 s, measured by
bench/app_throughput.py). So Start is an on_click callback (the job starts before the script runs, no
extra st.rerun()), the callback waits briefly for the job's first loss point (a warm job has one within
about 0.2 s, so the same script run draws the curve), and until a point exists the live view polls at
live_view.FIRST_POLL_SECONDS rather than POLL_SECONDS."""
from __future__ import annotations

import logging
import time

import pandas as pd
import streamlit as st

from trainer import ConfigError, CorpusError, TrainConfig, TrainingJob
from trainer.backend import BackendChoice
from trainer.job import LEASE_SECONDS, JobStatus

from . import runtime, state
from .common import DataSelection, empty_state, md, prepare_for, sentence
from .live_view import live_panel, poll_every
from .probes_panel import pick_probes
from .sidebar import build_config, config_summary

logger = logging.getLogger(__name__)

FIRST_POINT_WAIT_S = 0.75  # Start waits this long at most for the first loss point (a warm job: about 0.2 s)


def compact(n: int) -> str:
    """12,345,678 -> '12.3 M' (metrics have little room)."""
    for div, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:,}"


def engine_choice(cfg: TrainConfig) -> BackendChoice | None:
    """Which engine will train this config and why (None while the backend module cannot say)."""
    try:
        from trainer.backend import choose_backend
    except ImportError:  # the backend chooser lands with the native-build work
        return None
    try:
        return choose_backend(cfg)
    except Exception:  # an unavailable chooser must not hide the Start button; the log says why
        logger.exception("choose_backend failed")
        return None


def start_training(model: state.SessionModel, prep, cfg: TrainConfig, data: DataSelection) -> state.Run | None:
    """on_click of Start: create the run and its background job (the job keeps this Prepared; later uploads
    cannot touch it). It runs before the script, so the run that follows already shows the job in progress.

    The trainer picks the report interval and reuses `prep` as it is (Prepared.matches). The arguments come
    from the last script run that drew the button: if a sidebar setting changed after it (a click that
    interrupted that setting's rerun), nothing starts and a toast asks to press Start again."""
    current, _ = build_config(dict(st.session_state))
    if current is None or current.replace(probe_words=cfg.probe_words) != cfg:
        logger.info("Start pressed with settings older than the sidebar's: not started")
        st.toast("The settings changed just as Start was pressed: check them and press **Start training** again.",
                 icon=":material/refresh:")
        return None
    wanted_name = st.session_state.get("train_run_name", "")
    name = model.unique_name(wanted_name) if wanted_name.strip() else model.next_run_name()
    n_snap = min(cfg.snapshot_top, len(prep.vocab))
    live = state.LiveMap(list(prep.vocab.words[:n_snap]), prep.vocab.counts[:n_snap].copy()) if n_snap else None
    run = state.Run(name=name, data_label=data.label, config=cfg, live=live,
                    job=TrainingJob(prep, cfg, name=name, lease_s=LEASE_SECONDS,
                                    owner_alive=runtime.session_alive_check()).start())
    state.add_run(model, run, select=False)
    model.train_view = name
    st.session_state["train_view"] = name
    st.session_state["train_run_name"] = ""  # a callback may reset a widget: the name box empties
    t0 = time.monotonic()
    got = wait_for_first_point(run.job, FIRST_POINT_WAIT_S)
    logger.info("run %r started; first loss point %s", name,
                f"after {time.monotonic() - t0:.2f} s" if got else f"not within {FIRST_POINT_WAIT_S} s (polls fast)")
    return run


def wait_for_first_point(job: TrainingJob, timeout: float) -> bool:
    """Wait up to `timeout` for the job's first loss point (or its end); True when there is one.

    Only reads the job's plain JobView: the script thread never trains and the worker never calls st.*.
    Without this, the script run after Start drew an empty chart and the point waited for the next poll."""
    deadline = time.monotonic() + timeout
    while True:
        v = job.view()
        if v.history or v.finished:
            return bool(v.history)
        if v.status is JobStatus.QUEUED or time.monotonic() >= deadline:  # queued: no point soon
            return False
        time.sleep(0.02)


def render_estimate(data: DataSelection, cfg: TrainConfig):
    """The work estimate for the current text and settings; the Prepared data, or None after an st.error."""
    try:
        with st.spinner("Building the vocabulary…"):
            prep = prepare_for(data, cfg)
    except (ConfigError, CorpusError, ValueError, OSError) as e:
        st.error(f"{sentence(e)} Change the settings in the sidebar or the text on the Data tab.",
                 icon=":material/error:")
        return None
    per_epoch = prep.examples_per_epoch(cfg)
    unit = "centre words" if cfg.cbow else "word pairs"
    c = st.columns(4)
    c[0].metric("Words to learn", f"{len(prep.vocab):,}", help="The vocabulary: words that will get a vector.")
    c[1].metric("Words per epoch", f"{prep.corpus.n_tokens:,}",
                help="Vocabulary words in the text (before frequent words are down-sampled).")
    c[2].metric(f"{unit.capitalize()} per epoch", f"{per_epoch:,}",
                help="Estimated training examples in one pass: each kept word paired with the words around it.")
    c[3].metric("All epochs", compact(per_epoch * cfg.epochs),
                help=f"{cfg.epochs} epoch(s) × {per_epoch:,} {unit} = {per_epoch * cfg.epochs:,}.")
    choice = engine_choice(cfg)
    if choice is not None and choice.slower:
        st.warning(md(choice.describe()), icon=":material/speed:")
    return prep


def render(model: state.SessionModel, cfg: TrainConfig | None, cfg_error: str | None,
           data: DataSelection | None) -> None:
    prep = None
    busy = model.active_job_run()
    if busy is None:  # while training, the live view needs the room
        st.markdown("Train word vectors on the chosen text. Settings are in the sidebar (a preset is a good start); "
                    "the loss curve and a map of the most frequent words update while it runs.")
    if cfg_error:
        st.error(cfg_error, icon=":material/error:")
    elif data is None:
        empty_state("Choose some text on the **Data** tab first (or pick the sample there).")
    else:
        st.caption(f"Text: **{md(data.label)}** · Settings: {md(config_summary(cfg))}")
        if busy is None:  # while training, the live view takes this space (it must be in sight)
            prep = render_estimate(data, cfg)
            if prep is not None:
                cfg = cfg.replace(probe_words=pick_probes(prep))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input("Run name", key="train_run_name", placeholder=f"run {model.run_counter + 1}",
                    help="A name to find this run again in Explore, Compare and Export.")
    # The callback gets this run's prep and config: the ones the user saw when pressing Start.
    right.button("Start training", key="train_start", type="primary", icon=":material/play_arrow:",
                 disabled=prep is None or busy is not None, width="stretch", on_click=start_training,
                 args=(model, prep, cfg, data))

    trained = [r for r in model.runs.values() if r.job is not None]
    if not trained:
        empty_state("Press **Start training**. With the sample and the *Quick demo* preset it takes a few seconds.")
        render_run_table(model)
        return
    names = [r.name for r in trained]
    if model.train_view not in names:
        model.train_view = names[-1]
    if len(names) > 1:
        if st.session_state.get("train_view") not in names:
            st.session_state["train_view"] = model.train_view
        model.train_view = st.selectbox("Show run", names, key="train_view",
                                        help="Every run of this session is kept; pick one to see its training curve.")
    shown = model.runs[model.train_view]
    view = shown.latest_view()
    st.fragment(run_every=poll_every(shown, view), key="train_live")(live_panel)(model, shown)
    render_run_table(model)


def _status_text(run: state.Run) -> str:
    if run.job is None:
        return "loaded"
    status = run.status
    if not status.finished:
        return "training" if status in (JobStatus.PREPARING, JobStatus.RUNNING) else status.value
    return {JobStatus.STOPPED: "stopped early (partial)", JobStatus.DONE: "finished"}.get(status, status.value)


def render_run_table(model: state.SessionModel) -> None:
    rows = []
    for r in model.runs.values():
        res = r.result
        rows.append({
            "run": r.name, "status": _status_text(r),
            "text": r.data_label, "settings": config_summary(r.config) if r.config else "loaded from a file",
            "epochs done": round(res.epochs_completed, 2) if res is not None else None,
            "final loss": round(res.epoch_losses[-1], 4) if res is not None and res.epoch_losses else None,
            "words": len(r.vectors) if r.vectors is not None else None,
            "dims": r.vectors.dim if r.vectors is not None else None,
            "seconds": round(res.train_seconds, 1) if res is not None else None,
        })
    if not rows:
        return
    with st.expander(f"All runs in this session ({len(rows)})", expanded=len(rows) > 1):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="train_runs_table")
        render_run_manager(model)


def _rename(model: state.SessionModel) -> None:
    """on_click of Rename (runs before the script, so it may clear the widgets)."""
    ss = st.session_state
    target, wanted = ss.get("runs_manage_target"), ss.get("runs_manage_name", "")
    if target in model.runs and wanted.strip():
        got = model.rename_run(target, wanted)
        ss["runs_manage_target"], ss["runs_manage_name"] = got, ""
        for key in ("explore_run", "export_run"):  # select boxes that showed the old label follow the run
            if ss.get(key, "").startswith(target):
                ss[key] = model.runs[got].label


def _delete(model: state.SessionModel) -> None:
    """on_click of Delete: the run's training stops and its vectors and maps are released."""
    target = st.session_state.get("runs_manage_target")
    if target in model.runs:
        model.delete_run(target)
        st.session_state.pop("runs_manage_target", None)


def render_run_manager(model: state.SessionModel) -> None:
    """Rename or delete a run."""
    names = list(model.runs)
    c = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    c[0].selectbox("Run", names, key="runs_manage_target")
    c[1].text_input("New name", key="runs_manage_name", placeholder="a new name")
    c[2].button("Rename", key="runs_rename", width="stretch", on_click=_rename, args=(model,),
                help="Type the new name first.")
    c[3].button("Delete", key="runs_delete", width="stretch", icon=":material/delete:", on_click=_delete,
                args=(model,), help="Forget this run: a running training stops, its vectors are released.")
