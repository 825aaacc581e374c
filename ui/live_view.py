"""The live view of a training: a progress line, the loss curve and a live map, polled from an st.fragment
while the background TrainingJob runs, plus the sidebar badge that follows it from the other tabs. The worker
thread never calls Streamlit: every poll reads one frozen JobView (shared with the badge, see Run.latest_view).

    from ui import live_view
    st.fragment(run_every=live_view.poll_every(run, view), key="train_live")(live_view.live_panel)(model, run)
    live_view.status_badge(model, train_tab_open=True)

A poll is cheap: it rebuilds the loss figure only when new points arrived and projects a live map at most every
LIVE_MAP_MIN_SECONDS. While a job is queued the poll slows down and draws only the waiting message; until the
first loss point it runs every FIRST_POLL_SECONDS (issue 10: the first point on screen within seconds)."""
from __future__ import annotations

import math
import time

import streamlit as st

from explorer import StableMapper, loss_figure, map_figure
from trainer import TrainingJob
from trainer.job import JobStatus, JobView

from . import state
from .common import empty_state, human_seconds, md, sentence
from .probes_panel import render_probes

POLL_SECONDS = 1.0  # while training: a poll must finish well within this, or the next one interrupts it
QUEUED_POLL_SECONDS = 3.0  # while queued nothing changes but the queue: poll less
FIRST_POLL_SECONDS = 0.25  # until the first loss point: a poll then only draws the status line, so it is cheap
MAX_CURVE_POINTS = 600  # the browser redraws the curve every poll: keep it light
CHART_HEIGHT = 320  # with the intro hidden while training, the charts end above the fold at 1440x900
LIVE_MAP_LABELS = 30  # most frequent words written on the live map
# A new live map at most this often: epochs of this length or longer each get their map as they end; with
# sub-second epochs (the quick demo) a map every other poll, not every poll (its projection and figure were
# the largest part of a poll's CPU, taken from the training on the same cores). The last epoch's is always drawn.
LIVE_MAP_MIN_SECONDS = 1.5


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
