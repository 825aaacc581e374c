"""Plotly charts beside the maps: the loss curve, the Zipf plot, neighbour bars, line lengths. No streamlit here.

    from explorer import loss_figure, zipf_figure, neighbours_figure, line_length_figure
    loss_figure(run.loss_history); zipf_figure(vec.counts, vec.words); neighbours_figure(hits, "king")

Every chart has axis titles and hover text; words go through escape_label (explorer.figures) before they reach
plotly, which renders labels and hover text as HTML.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .figures import escape_label


def loss_figure(loss_history: Sequence[Mapping[str, Any]], *, title: str = "Training loss",
                height: int = 400) -> go.Figure:
    """Loss (left axis) and words/s (right axis) against training progress, from trainer loss_history dicts."""
    rows = [r for r in loss_history if r.get("progress") is not None]

    def column(key: str) -> np.ndarray:
        return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=np.float64)

    # NumPy columns, one go.Figure call: plotly validates a list element by element (the app rebuilds this
    # figure every poll while training, on the server's script thread, so its cost is taken from training).
    x, loss, speed = column("progress"), column("loss"), column("words_per_sec")
    epoch = np.array([escape_label(r.get("epoch", "?")) for r in rows], dtype=object)
    traces = []
    if (ok := ~np.isnan(loss)).any():
        traces.append(go.Scatter(x=x[ok], y=loss[ok], mode="lines", name="loss", customdata=epoch[ok],
                                 hovertemplate="progress %{x:.1%}<br>loss %{y:.4f}<br>epoch %{customdata}"
                                               "<extra></extra>"))
    if (ok := ~np.isnan(speed)).any():
        traces.append(go.Scatter(x=x[ok], y=speed[ok], mode="lines", name="words/s", yaxis="y2",
                                 line={"dash": "dot"}, customdata=epoch[ok],
                                 hovertemplate="progress %{x:.1%}<br>%{y:,.0f} words/s<br>epoch %{customdata}"
                                               "<extra></extra>"))
    fig = go.Figure(data=traces, layout={
        "title": {"text": escape_label(title)}, "height": height, "hovermode": "x unified",
        "xaxis": {"title": {"text": "training progress"}, "tickformat": ".0%"},
        "yaxis": {"title": {"text": "loss"}},
        "yaxis2": {"title": {"text": "words per second"}, "overlaying": "y", "side": "right", "showgrid": False,
                   "rangemode": "tozero"},
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0},  # below the x title
        "margin": {"b": 85}})
    if not rows:
        fig.add_annotation(text="no training progress yet", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    return fig


def zipf_figure(counts: Sequence[int] | np.ndarray, words: Sequence[str] | None = None, *,
                max_points: int = 20_000, title: str = "Rank-frequency (Zipf) plot", height: int = 450) -> go.Figure:
    """log-log count against rank, with a 1/rank reference line. Above max_points ranks, log-spaced ranks are
    drawn (the title says so); every rank up to 1,000 is always drawn."""
    c = np.asarray(counts, dtype=np.int64)
    order = np.argsort(-c, kind="stable")
    c = c[order]
    keep = np.flatnonzero(c > 0)
    total = len(keep)
    note = ""
    if total > max_points:
        spaced = np.unique(np.geomspace(1, total, num=max_points).astype(np.int64) - 1)
        keep = np.union1d(keep[: min(1000, total)], keep[spaced])
        note = f" ({len(keep):,} of {total:,} ranks drawn, log-spaced)"
    ranks = keep + 1
    hover = [f"rank {r:,}<br>count {int(c[k]):,}" + (f"<br><b>{escape_label(words[order[k]])}</b>" if words else "")
             for r, k in zip(ranks, keep, strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=ranks, y=c[keep], mode="markers", name="words", marker={"size": 4},
                               hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    if total:
        ref_x = np.array([1, total])
        fig.add_trace(go.Scatter(x=ref_x, y=c[0] / ref_x, mode="lines", name="count(1) / rank",
                                 line={"dash": "dash", "color": "grey"}, hoverinfo="skip"))
    fig.update_layout(title={"text": escape_label(title + note)}, height=height,
                      xaxis={"type": "log", "title": {"text": "rank (1 = most frequent)"}},
                      yaxis={"type": "log", "title": {"text": "count in the corpus"}})
    return fig


def neighbours_figure(neighbours: Sequence[tuple[str, float]], query: str | Sequence[str] = "", *,
                      metric: str = "cosine", height: int | None = None) -> go.Figure:
    """Horizontal bars of (word, score) pairs from most_similar, best at the top."""
    words = [escape_label(w) for w, _ in neighbours]
    scores = [float(s) for _, s in neighbours]
    axis = "cosine similarity" if metric == "cosine" else "Euclidean distance" if metric == "euclidean" else metric
    q = query if isinstance(query, str) else " ".join(query)
    fig = go.Figure(go.Bar(x=scores, y=words, orientation="h", hovertext=words, marker={"color": "#1f77b4"},
                           hovertemplate="<b>%{hovertext}</b><br>" + axis + " %{x:.4f}<extra></extra>"))
    fig.update_layout(title={"text": f"Nearest words to {escape_label(q)}" if q else "Nearest words"},
                      height=height or max(250, 28 * len(words) + 120),
                      xaxis={"title": {"text": axis}}, yaxis={"title": {"text": "word"}, "autorange": "reversed",
                                                             "type": "category"})
    return fig


def line_length_figure(edges: np.ndarray, counts: np.ndarray, *, height: int = 380) -> go.Figure:
    """Bars of how many lines have how many words, from trainer.data_report.line_histogram (edges, counts)."""
    lo, hi = edges[:-1], edges[1:] - 1
    labels = [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(lo, hi)]
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges) * 0.9,
                           customdata=labels, name="lines",
                           hovertemplate="%{customdata} words: %{y:,} lines<extra></extra>"))
    fig.update_layout(title={"text": "Line lengths"}, height=height, bargap=0.05,
                      xaxis={"title": {"text": "words per line (longest 0.5% in the last bar)"}},
                      yaxis={"title": {"text": "number of lines"}})
    return fig
