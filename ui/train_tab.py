"""Train tab: the work estimate, Start/Stop, and a live panel (progress, loss curve, live map) that polls
the background TrainingJob from an st.fragment. The worker thread never calls Streamlit."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from explorer import StableMapper, loss_figure, map_figure
from trainer import ConfigError, CorpusError, TrainConfig, TrainingJob

from . import state
from .common import DataSelection, empty_state, human_seconds, md, prepare_for, sentence, tidy_map
from .sidebar import config_summary

POLL_SECONDS = 1.0  # a poll must finish well within this, or the next one interrupts it
MAX_CURVE_POINTS = 600
CHART_HEIGHT = 420


def loss_points(history: list[dict], epoch_losses: list[float], epochs: int) -> list[dict]:
    """The loss history, or one point per epoch when the run was too short for progress events."""
    if history or not epoch_losses:
        return history
    return [{"progress": (i + 1) / epochs, "loss": loss, "epoch": i} for i, loss in enumerate(epoch_losses)]


def compact(n: int) -> str:
    """12,345,678 -> '12.3 M' (metrics have little room)."""
    for div, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:,}"


def start_training(prep, cfg: TrainConfig, data: DataSelection, wanted_name: str) -> state.Run:
    """Create the run and its background job (the job keeps this Prepared; later uploads cannot touch it)."""
    name = state.unique_name(wanted_name) if wanted_name.strip() else state.next_run_name()
    # A progress event every few steps, so even a short run draws a curve (the worker re-uses prep's scan).
    steps = prep.examples_per_epoch() * cfg.epochs / (cfg.batch_size or 16384)
    cfg = cfg.replace(report_every=int(max(1, min(10, steps // 300))))
    n_snap = min(cfg.snapshot_top, len(prep.vocab))
    run = state.Run(name=name, data_label=data.label, config=cfg, preset_label=st.session_state.get("cfg_preset", ""),
                    job=TrainingJob(prep, cfg, name=name).start(), snapshot_words=list(prep.vocab.words[:n_snap]),
                    live={"counts": prep.vocab.counts[:n_snap].copy()})
    state.add_run(run, select=False)
    st.session_state["train_view"] = name
    st.session_state["clear_run_name"] = True  # the name box empties on the next full rerun
    return run


def render_estimate(data: DataSelection, cfg: TrainConfig):
    """The work estimate for the current text and settings; the Prepared data, or None after an st.error."""
    try:
        with st.spinner("Building the vocabulary…"):
            prep = prepare_for(data, cfg)
    except (ConfigError, CorpusError, ValueError, OSError) as e:
        st.error(f"{sentence(e)} Change the settings in the sidebar or the text on the Data tab.",
                 icon=":material/error:")
        return None
    per_epoch = prep.examples_per_epoch()
    unit = "centre words" if cfg.cbow else "word pairs"
    c = st.columns(4)
    c[0].metric("Words to learn", f"{len(prep.vocab):,}", help="The vocabulary: words that will get a vector.")
    c[1].metric("Words per epoch", f"{prep.corpus.n_tokens:,}",
                help="Vocabulary words in the text (before frequent words are down-sampled).")
    c[2].metric(f"{unit.capitalize()} per epoch", f"{per_epoch:,}",
                help="Estimated training examples in one pass: each kept word paired with the words around it.")
    c[3].metric("All epochs", compact(per_epoch * cfg.epochs),
                help=f"{cfg.epochs} epoch(s) × {per_epoch:,} {unit} = {per_epoch * cfg.epochs:,}.")
    return prep


def render(cfg: TrainConfig | None, cfg_error: str | None, data: DataSelection | None) -> None:
    st.markdown("Train word vectors on the chosen text. Settings are in the sidebar (a preset is a good start); "
                "the loss curve and a map of the most frequent words update while it runs.")
    prep = None
    if cfg_error:
        st.error(cfg_error, icon=":material/error:")
    elif data is None:
        empty_state("Choose some text on the **Data** tab first (or pick the sample there).")
    else:
        st.caption(f"Text: **{md(data.label)}** · Settings: {md(config_summary(cfg))}")
        prep = render_estimate(data, cfg)
    busy = state.active_job_run()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    wanted = left.text_input("Run name", key="train_run_name", placeholder=f"run {st.session_state['run_counter'] + 1}",
                             help="A name to find this run again in Explore, Compare and Export.")
    clicked = right.button("Start training", key="train_start", type="primary", icon=":material/play_arrow:",
                           disabled=prep is None or busy is not None, width="stretch")
    # Always one element here, so the live panel below keeps its place when a run ends (no stale copies).
    st.caption(f"**{md(busy.name)}** is running; stop it or wait for it to finish before starting another."
               if busy is not None else "Each run is kept for this session; start as many as you like.")
    if clicked and prep is not None and busy is None:
        start_training(prep, cfg, data, wanted)
        st.rerun()  # redraw with the run in progress (Start disabled, polling on)

    trained = [r for r in state.runs().values() if r.job is not None]
    if not trained:
        empty_state("Press **Start training**. With the sample and the *Quick demo* preset it takes a few seconds.")
        return
    names = [r.name for r in trained]
    if st.session_state.get("train_view") not in names:
        st.session_state["train_view"] = names[-1]
    if len(names) > 1:
        st.selectbox("Show run", names, key="train_view",
                     help="Every run of this session is kept; pick one to see its training curve.")
    active = state.active_job_run() is not None
    st.fragment(run_every=POLL_SECONDS if active else None, key="train_live")(live_panel)()
    render_run_table()


def live_panel() -> None:
    """Polled while a job runs: reads TrainingJob.view() (a copy made under the job's lock).

    The figures are built before anything is drawn and the charts come last: a chart whose data changed is
    remounted, and the old copy lingers until the poll ends, so the poll must end right after it."""
    run = state.runs().get(st.session_state.get("train_view", ""))
    if run is None or run.job is None:
        return
    job = run.job
    v = job.view()
    status, epochs = v["status"], run.config.epochs
    history = loss_points(job.result.loss_history, job.result.epoch_losses, epochs) if job.result is not None \
        else v["history"]
    if len(history) > MAX_CURVE_POINTS:  # the browser redraws the curve every poll: keep it light
        history = history[:: len(history) // MAX_CURVE_POINTS + 1] + history[-1:]
    loss_fig = loss_figure(history, title=f"Training loss · {run.name}", height=CHART_HEIGHT) if history else None
    map_fig = live_map_figure(run, v["snapshots"])

    if status == "queued":
        st.info(f"**{md(run.name)}** is waiting for a free training slot: {TrainingJob.max_concurrent} trainings are "
                "already running on this server. It starts by itself as soon as one finishes.",
                icon=":material/hourglass_top:")
    elif status in ("new", "preparing"):
        frac = float(v["info"].get("scan_progress", 0.0))
        st.progress(frac, text=f"Preparing **{md(run.name)}**…")
    elif status == "running":
        ep = min(int(v["epoch"]) + 1, epochs)
        st.progress(min(max(v["progress"], 0.0), 1.0),
                    text=f"Training **{md(run.name)}** · epoch {ep} of {epochs} · {v['progress']:.0%} · "
                         f"about {human_seconds(v['eta_s'])} left")
    elif status == "done":
        res = job.result
        st.success(f"**{md(run.name)}** finished in {human_seconds(res.train_seconds)}: {len(res.words):,} words × "
                   f"{res.vectors.shape[1]} dimensions. Open the **Explore** tab to look at them.",
                   icon=":material/check_circle:")
    elif status == "stopped":
        res = job.result
        done = f"{res.epochs_completed:.1f} of {epochs} epochs" if res is not None else "before it started"
        st.warning(f"**{md(run.name)}** was stopped early ({done}). It is kept as a **partial model**, marked "
                   "'stopped early' wherever runs are listed.", icon=":material/pause_circle:")
    else:
        st.error(f"**{md(run.name)}** failed: {sentence(v['error'] or 'unknown error')} Check the settings and the "
                 "text, then start again.", icon=":material/error:")
    # Always drawn (disabled once finished) so the elements below keep their places between polls.
    st.button("Stop", key="train_stop", on_click=job.stop, icon=":material/stop:", disabled=job.finished,
              help="Stop after the current step and keep the model trained so far.")
    loss = v["loss"]
    c = st.columns(4)
    c[0].metric("Loss", "–" if not isinstance(loss, float) or math.isnan(loss) else f"{loss:.4f}",
                help="How wrong the model's guesses are on recent word pairs; it should go down.")
    c[1].metric("Words per second", f"{v['words_per_sec']:,.0f}")
    c[2].metric("Elapsed", human_seconds(v["elapsed_s"]))
    c[3].metric("Backend", str(v["info"].get("backend", "–")), help="Which engine computes the updates.")
    left, right = st.columns(2)
    # Fixed-height boxes: a chart being replaced never pushes the page around.
    with left.container(key="train_loss_chart", height=CHART_HEIGHT + 20, border=False):
        if loss_fig is not None:
            st.plotly_chart(loss_fig, width="stretch")
        elif not job.finished:
            empty_state("The loss curve appears as soon as the first training steps are done.")
        else:
            st.caption("No loss was recorded: the run ended before its first training step.")
    with right.container(key="train_live_map", height=CHART_HEIGHT + 20, border=False):
        if isinstance(map_fig, str):
            empty_state(map_fig)
        else:
            st.plotly_chart(map_fig, width="stretch")
    announce_finished()


def announce_finished() -> None:
    """When a job has just finished: one full rerun turns it into explorable vectors and stops the polling."""
    for run in state.runs().values():
        if run.job is not None and run.job.finished and not run.live.get("announced"):
            run.live["announced"] = True
            st.rerun()


def status_badge() -> None:
    """A small progress line in the sidebar while this session trains, polled like the live panel."""
    active = state.active_job_run() is not None
    st.fragment(run_every=POLL_SECONDS if active else None, key="status_badge")(_badge)()


def _badge() -> None:
    run = state.active_job_run()
    if run is not None:
        v = run.job.view()
        text = {"queued": "waiting for a free slot", "new": "preparing", "preparing": "preparing"}.get(
            v["status"], f"{v['progress']:.0%}")
        st.progress(min(max(v["progress"], 0.0), 1.0), text=f"Training **{md(run.name)}**: {text}")
    announce_finished()


def live_map_figure(run: state.Run, snapshots: list):
    """The live map of the newest snapshot (built once per epoch), or a sentence saying why there is none."""
    if not run.snapshot_words:
        return "Live map off: set 'Live-map words' in the sidebar's Advanced section."
    if not snapshots:
        return "The live map of the most frequent words appears after the first epoch."
    mapper = run.live.setdefault("mapper", StableMapper("pca", dims=2, seed=0))
    maps = run.live.setdefault("maps", {})
    epoch, matrix = snapshots[-1]  # only the newest snapshot is projected, aligned to the last one drawn
    if epoch not in maps:
        words = run.snapshot_words[: matrix.shape[0]]
        maps[epoch] = mapper.update(words, matrix, counts=run.live["counts"][: matrix.shape[0]])
    if run.live.get("figure_epoch") != epoch:
        run.live["figure"] = tidy_map(map_figure(maps[epoch], n_labels=30, height=CHART_HEIGHT,
                                                 title=f"Live map after epoch {epoch + 1} of {run.config.epochs}"))
        run.live["figure_epoch"] = epoch
    return run.live["figure"]


def render_run_table() -> None:
    rows = []
    for r in state.runs().values():
        res = r.result
        rows.append({
            "run": r.name, "status": {"stopped": "stopped early (partial)", "done": "finished"}.get(r.status, r.status),
            "text": r.data_label, "settings": config_summary(r.config) if r.config else "loaded from a file",
            "epochs done": round(res.epochs_completed, 2) if res is not None else None,
            "final loss": round(res.epoch_losses[-1], 4) if res is not None and res.epoch_losses else None,
            "words": len(r.vectors) if r.vectors is not None else None,
            "dims": r.vectors.dim if r.vectors is not None else None,
            "seconds": round(res.train_seconds, 1) if res is not None else None,
        })
    with st.expander(f"All runs in this session ({len(rows)})", expanded=len(rows) > 1):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="train_runs_table")
