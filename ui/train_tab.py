"""Train tab: the work estimate, Start/Stop, and a live panel (progress, loss curve, live map) that polls
the background TrainingJob from an st.fragment. The worker thread never calls Streamlit.

A poll is cheap: it reads one JobView (shared with the sidebar badge, see Run.latest_view), rebuilds the
loss figure only when new points arrived and projects a live map once per epoch. While a job is queued
the poll slows down and draws only the waiting message.

The first loss point must be on screen within seconds of pressing Start (issue 10: <= 3 s, measured by
bench/app_throughput.py). So Start is an on_click callback (the job starts before the script runs, no
extra st.rerun()), the callback waits briefly for the job's first loss point (a warm job has one within
about 0.2 s, so the same script run draws the curve), and until a point exists the polls run at
FIRST_POLL_SECONDS rather than POLL_SECONDS."""
from __future__ import annotations

import logging
import math
import time

import pandas as pd
import streamlit as st

from explorer import StableMapper, loss_figure, map_figure
from trainer import ConfigError, CorpusError, TrainConfig, TrainingJob
from trainer.backend import BackendChoice
from trainer.job import LEASE_SECONDS, JobStatus, JobView

from . import runtime, state
from .common import DataSelection, empty_state, human_seconds, md, prepare_for, sentence
from .probes_panel import pick_probes, render_probes
from .sidebar import build_config, config_summary

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # while training: a poll must finish well within this, or the next one interrupts it
QUEUED_POLL_SECONDS = 3.0  # while queued nothing changes but the queue: poll less
FIRST_POLL_SECONDS = 0.25  # until the first loss point: a poll then only draws the status line, so it is cheap
FIRST_POINT_WAIT_S = 0.75  # Start waits this long at most for the first loss point (a warm job: about 0.2 s)
MAX_CURVE_POINTS = 600  # the browser redraws the curve every poll: keep it light
CHART_HEIGHT = 320  # with the intro hidden while training, the charts end above the fold at 1440x900
LIVE_MAP_LABELS = 30  # most frequent words written on the live map
# A new live map at most this often: epochs of this length or longer each get their map as they end; with
# sub-second epochs (the quick demo) a map every other poll, not every poll (its projection and figure were
# the largest part of a poll's CPU, taken from the training on the same cores). The last epoch's is always drawn.
LIVE_MAP_MIN_SECONDS = 1.5


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


def pace(v: JobView) -> float | None:
    """The poll interval a job in this state wants: none once finished, slow while queued, fast until the
    first loss point, then POLL_SECONDS."""
    if v.finished:
        return None
    if v.status is JobStatus.QUEUED:
        return QUEUED_POLL_SECONDS
    return POLL_SECONDS if v.history else FIRST_POLL_SECONDS


def poll_every(run: state.Run, v: JobView) -> float | None:
    """The fragments' poll interval for this run (remembered: the fragments are set up with it)."""
    run.poll_pace = pace(v)
    return run.poll_pace


def rerun_when_pace_changes(run: state.Run, v: JobView) -> None:
    """A fragment's interval is fixed when it is set up: once a queued job starts, or the first loss point
    arrives, one full rerun sets the polls to the new pace (the end is announce_finished's rerun)."""
    new = pace(v)
    if new is not None and run.poll_pace is not None and new != run.poll_pace:
        run.poll_pace = new
        st.rerun()


def status_line(run: state.Run, v: JobView) -> None:
    """One status element: queued / preparing / progress / finished / stopped / failed."""
    epochs = run.config.epochs
    if v.status is JobStatus.QUEUED:
        st.info(f"**{md(run.name)}** is waiting for a free training slot: {TrainingJob.max_concurrent} trainings are "
                "already running on this server. It starts by itself as soon as one finishes.",
                icon=":material/hourglass_top:")
    elif v.status in (JobStatus.NEW, JobStatus.PREPARING):
        st.progress(min(max(v.scan_progress, 0.0), 1.0), text=f"Preparing **{md(run.name)}**…")
    elif v.status is JobStatus.RUNNING:
        ep = min(v.epoch + 1, epochs)
        st.progress(min(max(v.progress, 0.0), 1.0),
                    text=f"Training **{md(run.name)}** · epoch {ep} of {epochs} · {v.progress:.0%} · "
                         f"about {human_seconds(v.eta_s)} left")
    elif v.status is JobStatus.DONE:
        res = run.job.result
        st.success(f"**{md(run.name)}** finished in {human_seconds(res.train_seconds)}: {len(res.words):,} words × "
                   f"{res.vectors.shape[1]} dimensions. Open the **Explore** tab to look at them.",
                   icon=":material/check_circle:")
    elif v.status is JobStatus.STOPPED:
        res = run.job.result
        done = f"{res.epochs_completed:.1f} of {epochs} epochs" if res is not None else "before it started"
        st.warning(f"**{md(run.name)}** was stopped early ({done}). It is kept as a **partial model**, marked "
                   "'stopped early' wherever runs are listed.", icon=":material/pause_circle:")
    else:
        message = v.error.message if v.error else "unknown error"
        st.error(f"**{md(run.name)}** failed: {sentence(message)} Check the settings and the text, then start again.",
                 icon=":material/error:")


def engine_words(v: JobView) -> str:
    """The engine in words (not 'tf'): the BackendChoice sentence when the trainer reported one."""
    if v.backend is not None:
        return v.backend.describe()
    names = {"native": "the compiled word2vec kernel (CPU)", "tf": "TensorFlow operations (CPU)",
             "tf-gpu": "TensorFlow operations (GPU)"}
    return f"Training with {names.get(v.backend_name, v.backend_name)}." if v.backend_name else ""


def live_panel(model: state.SessionModel, run: state.Run) -> None:
    """Polled while a job runs. Figures are built before anything is drawn and the charts come last: a chart
    whose data changed is remounted, and the old copy lingers until the poll ends."""
    v = run.latest_view()
    rerun_when_pace_changes(run, v)
    if v.status is JobStatus.QUEUED:  # nothing else changes while queued
        status_line(run, v)
        st.button("Stop", key="train_stop", on_click=run.job.stop, icon=":material/stop:")
        return
    loss_fig = loss_curve(run, v)
    map_fig = live_map_figure(run, v)
    top = st.columns([5, 1], vertical_alignment="center")
    with top[0]:
        status_line(run, v)
    # Always drawn (disabled once finished) so the elements below keep their places between polls.
    top[1].button("Stop", key="train_stop", on_click=run.job.stop, icon=":material/stop:", disabled=v.finished,
                  help="Stop after the current step and keep the model trained so far.", width="stretch")
    loss = "–" if math.isnan(v.loss) else f"{v.loss:.4f}"
    st.caption(f"Loss **{loss}** · {v.words_per_sec:,.0f} words per second · {human_seconds(v.elapsed_s)} elapsed"
               + (f" · {md(engine_words(v))}" if engine_words(v) else ""),
               help="Loss: how wrong the model's guesses are on recent word pairs; it should go down.")
    left, right = st.columns(2)
    # Fixed-height boxes: a chart being replaced never pushes the page around.
    with left.container(key="train_loss_chart", height=CHART_HEIGHT + 20, border=False):
        if loss_fig is not None:
            st.plotly_chart(loss_fig, width="stretch")
        elif not v.finished:
            empty_state("The loss curve appears as soon as the first training steps are done.")
        else:
            st.caption("No loss was recorded: the run ended before its first training step.")
    with right.container(key="train_live_map", height=CHART_HEIGHT + 20, border=False):
        if isinstance(map_fig, str):
            empty_state(map_fig)
        else:
            st.plotly_chart(map_fig, width="stretch")
    render_probes(run, v)  # the probe words' neighbours, from the same JobView
    announce_finished(model)


def loss_curve(run: state.Run, v: JobView):
    """The loss figure, rebuilt only when the history grew (kept on the run between polls)."""
    if not v.history:
        return None
    if run.loss_fig is not None and run.loss_fig[0] == len(v.history):
        return run.loss_fig[1]
    rows = [p.as_row() for p in v.history]
    if len(rows) > MAX_CURVE_POINTS:
        rows = rows[:: len(rows) // MAX_CURVE_POINTS + 1] + rows[-1:]
    fig = loss_figure(rows, title=f"Training loss · {run.name}", height=CHART_HEIGHT)
    run.loss_fig = (len(v.history), fig)
    return fig


def announce_finished(model: state.SessionModel) -> None:
    """When a job has just finished: one full rerun turns it into explorable vectors and stops the polling."""
    for run in model.runs.values():
        if run.job is not None and run.job.finished and not run.announced:
            run.announced = True
            st.rerun()


def status_badge(model: state.SessionModel, train_tab_open: bool) -> None:
    """A small progress line in the sidebar while this session trains, polled like the live panel, so the
    training can be followed from every tab. On the Train tab, when the live panel already shows that run, it is
    one still line instead: a second progress bar there would only repeat the panel's, and each polled fragment
    is a script run for the server and a redraw for the browser every second (measured with chromium on the
    same 2 cores: the badge's polls took ~10 % of the training's words/s)."""
    run = model.active_job_run()
    if run is not None and train_tab_open and model.train_view == run.name:
        waiting = run.latest_view().status is JobStatus.QUEUED
        st.caption(f"**{md(run.name)}** " + ("is waiting for a free training slot" if waiting else "is training")
                   + ": progress on the Train tab.")
        return
    every = None if run is None else poll_every(run, run.latest_view())
    st.fragment(run_every=every, key="status_badge")(_badge)(model)


def _badge(model: state.SessionModel) -> None:
    run = model.active_job_run()
    if run is not None:
        v = run.latest_view()  # the same JobView the live panel shows in this poll
        rerun_when_pace_changes(run, v)
        text = {JobStatus.QUEUED: "waiting for a free slot", JobStatus.NEW: "preparing",
                JobStatus.PREPARING: "preparing"}.get(v.status, f"{v.progress:.0%}")
        st.progress(min(max(v.progress, 0.0), 1.0), text=f"Training **{md(run.name)}**: {text}")
    announce_finished(model)


def live_map_figure(run: state.Run, v: JobView):
    """The live map of the newest epoch, or a sentence saying why there is none.

    Only the newest snapshot is projected, aligned to the map shown before it: when several epochs ended
    between two polls (sub-second epochs), the ones in between would never be on screen, and projecting
    and aligning each of them took the poll's biggest share of the server's CPU away from training. For the
    same reason a new map is made at most every LIVE_MAP_MIN_SECONDS, except for the run's final one."""
    live = run.live
    if live is None:
        return "Live map off: set 'Live-map words' in the sidebar's Advanced section."
    if not v.snapshots:
        return "The live map of the most frequent words appears after the first epoch."
    if live.mapper is None:
        live.mapper = StableMapper("pca", dims=2, seed=0)
    epoch, matrix = max(v.snapshots, key=lambda s: s[0])
    now = time.monotonic()
    if not live.maps or (epoch > max(live.maps) and (v.finished or now - live.mapped_at >= LIVE_MAP_MIN_SECONDS)):
        n = matrix.shape[0]
        live.keep(epoch, live.mapper.update(live.words[:n], matrix, counts=live.counts[:n]))
        live.mapped_at = now
    epoch = max(live.maps)
    if epoch not in live.figures:
        live.figures = {epoch: map_figure(
            live.maps[epoch], n_labels=LIVE_MAP_LABELS, height=CHART_HEIGHT, legend_below=True,
            title=f"Live map after epoch {epoch + 1} of {run.config.epochs}")}  # only the shown one is kept
    return live.figures[epoch]


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
