"""Plotly figures: word maps (2D WebGL / 3D), loss curve, Zipf plot, neighbour bars. No streamlit here.

    from explorer import compute_map, kmeans_clusters, map_figure, loss_figure, zipf_figure, neighbours_figure

    m = compute_map(vec, "umap", n_words=5000)
    fig = map_figure(m)                                            # coloured by log10 frequency
    fig = map_figure(m, color_by="cluster", clusters=kmeans_clusters(vec, n_words=m.n, k=8))
    fig = map_figure(m, color_by="match", matches=vec.words_matching("^un"))
    hits = vec.most_similar("king", topn=10)
    fig = map_figure(m, query="king", neighbours=hits)             # highlighted, with lines to the neighbours
    loss_figure(run.loss_history); zipf_figure(vec.counts, vec.words); neighbours_figure(hits, "king")
    st.plotly_chart(fig)                                           # in the app

Every mapped word is in the figure (one point per word, all traces together); the title says when the map holds
only the top N of V words. Words are data, never markup: every label, hover text and title goes through
`escape_label` (html.escape, plus '$' -> '&#36;' so plotly does not start MathJax), because plotly renders
hover text and labels as HTML.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .projection import MapResult

CLUSTER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")
COLOR_BY = ("frequency", "cluster", "match", "none")


def escape_label(text: object) -> str:
    """Make any string safe to show as plotly text/hover/title: HTML-escaped, '$' neutralised."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def escape_markdown(text: object) -> str:
    """Make a word safe inside Streamlit/CommonMark markdown: every ASCII punctuation character (`*`, `_`, `$`,
    `<`, `[`, ...) is backslash-escaped, so '**bold**' or '$x$' show literally. (st.dataframe needs nothing.)"""
    return "".join("\\" + ch if ch in _MD_PUNCT else ch for ch in str(text))


_MD_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _hover(m: MapResult, clusters: np.ndarray | None) -> list[str]:
    out = []
    for i, w in enumerate(m.words):
        parts = [f"<b>{escape_label(w)}</b>", f"rank {i + 1:,}"]
        if m.counts is not None:
            parts.append(f"count {int(m.counts[i]):,}")
        if clusters is not None:
            parts.append(f"cluster {int(clusters[i])}")
        out.append("<br>".join(parts))
    return out


def _points(dims: int, idx: np.ndarray, coords: np.ndarray, hover: list[str], words: Sequence[str], name: str,
            marker: dict[str, Any], **kw: Any) -> go.Scattergl | go.Scatter3d:
    cls = go.Scattergl if dims == 2 else go.Scatter3d
    xyz = {"xyz"[d]: coords[idx, d] for d in range(dims)}
    return cls(**xyz, mode="markers", name=name, marker=marker, hovertext=[hover[i] for i in idx],
               hovertemplate="%{hovertext}<extra></extra>", customdata=[words[i] for i in idx], **kw)


def map_figure(m: MapResult, *, color_by: str = "frequency", clusters: Sequence[int] | np.ndarray | None = None,
               matches: Iterable[str] | None = None, query: str | None = None,
               neighbours: Sequence[str | tuple[str, float]] | None = None, n_labels: int = 25,
               title: str | None = None, height: int = 650, point_size: float | None = None) -> go.Figure:
    """Scatter of every word in `m` (go.Scattergl in 2D, go.Scatter3d in 3D) with hover (word, rank, count, cluster).

    color_by: "frequency" (log10 count), "cluster" (needs `clusters`, aligned with m.words), "match" (words in
    `matches` highlighted) or "none". query/neighbours: highlight a word and its neighbours (words or
    (word, score) pairs from most_similar) with connecting lines; those outside the map are named in the title.
    n_labels: write the n most frequent words on the map.
    Point traces carry the raw word in `customdata` (never rendered), so a selection event names its word:
    event["selection"]["points"][0]["customdata"].
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {COLOR_BY}")
    dims, n, coords = m.dims, m.n, np.asarray(m.coords)
    cl = None if clusters is None else np.asarray(clusters, dtype=np.int64)
    if cl is not None and cl.shape != (n,):
        raise ValueError(f"{len(cl)} cluster labels for a map of {n} words")
    hover = _hover(m, cl)
    size = point_size or (6 if n <= 2000 else 4 if n <= 20000 else 3)
    fig = go.Figure()
    everyone = np.arange(n)
    if color_by == "cluster" and cl is not None:
        for c in np.unique(cl):
            idx = everyone[cl == c]
            colour = CLUSTER_COLOURS[int(c) % len(CLUSTER_COLOURS)]
            fig.add_trace(_points(dims, idx, coords, hover, m.words, f"cluster {c} ({len(idx):,})",
                                  {"size": size, "color": colour, "opacity": 0.8}))
    elif color_by == "match" and matches is not None:
        wanted = set(matches)
        hit = np.array([w in wanted for w in m.words], dtype=bool)
        fig.add_trace(_points(dims, everyone[~hit], coords, hover, m.words, f"other words ({int((~hit).sum()):,})",
                              {"size": size, "color": "#bbbbbb", "opacity": 0.5}))
        fig.add_trace(_points(dims, everyone[hit], coords, hover, m.words, f"matches ({int(hit.sum()):,})",
                              {"size": size + 3, "color": "#d62728", "opacity": 0.95}))
    elif color_by == "frequency" and m.counts is not None:
        logc = np.log10(np.maximum(np.asarray(m.counts, dtype=np.float64), 1.0))
        fig.add_trace(_points(dims, everyone, coords, hover, m.words, "words", {
            "size": size, "color": logc, "colorscale": "Viridis", "opacity": 0.8, "showscale": True,
            "colorbar": {"title": {"text": "log10 count"}}}))
    else:
        fig.add_trace(_points(dims, everyone, coords, hover, m.words, "words", {"size": size, "opacity": 0.8}))
    if n_labels > 0:
        top = everyone[: min(n_labels, n)]
        cls = go.Scattergl if dims == 2 else go.Scatter3d
        fig.add_trace(cls(**{"xyz"[d]: coords[top, d] for d in range(dims)}, mode="text", name="labels",
                          text=[escape_label(m.words[i]) for i in top], textposition="top center",
                          hoverinfo="skip", showlegend=False))
    missing = _highlight(fig, m, coords, hover, query, neighbours) if query else []
    heading = escape_label(title) + "<br>" if title else ""
    heading += escape_label(m.note)
    if missing:
        shown = ", ".join(escape_label(w) for w in missing[:8]) + (" ..." if len(missing) > 8 else "")
        heading += f"<br><sup>not in this map: {shown}</sup>"
    axes = m.axis_titles()
    fig.update_layout(title={"text": heading}, height=height, legend={"itemsizing": "constant"},
                      hoverlabel={"align": "left"}, margin={"t": 90})
    if dims == 2:
        fig.update_layout(xaxis_title=axes[0], yaxis_title=axes[1])
    else:
        fig.update_layout(scene={"xaxis_title": axes[0], "yaxis_title": axes[1], "zaxis_title": axes[2]})
    return fig


def _highlight(fig: go.Figure, m: MapResult, coords: np.ndarray, hover: list[str], query: str,
               neighbours: Sequence[str | tuple[str, float]] | None) -> list[str]:
    """Add the query star, neighbour points and connecting lines; returns the words not in the map."""
    dims = m.dims
    names = [nb if isinstance(nb, str) else nb[0] for nb in (neighbours or [])]
    missing = [w for w in [query, *names] if m.index_of(w) is None]
    q = m.index_of(query)
    found = np.array([i for w in names if (i := m.index_of(w)) is not None], dtype=np.int64)
    cls = go.Scattergl if dims == 2 else go.Scatter3d
    if q is not None and len(found):
        line: dict[str, list[float | None]] = {"xyz"[d]: [] for d in range(dims)}
        for i in found:
            for d in range(dims):
                line["xyz"[d]] += [float(coords[q, d]), float(coords[i, d]), None]
        fig.add_trace(cls(**line, mode="lines", name="links", hoverinfo="skip", showlegend=False,
                          line={"color": "#d62728", "width": 1}))
    if len(found):
        fig.add_trace(cls(**{"xyz"[d]: coords[found, d] for d in range(dims)}, mode="markers+text",
                          name="neighbours", text=[escape_label(m.words[i]) for i in found],
                          textposition="top center", marker={"size": 9, "color": "#ff7f0e"},
                          hovertext=[hover[i] for i in found], hovertemplate="%{hovertext}<extra></extra>",
                          customdata=[m.words[i] for i in found]))
    if q is not None:
        fig.add_trace(cls(**{"xyz"[d]: [float(coords[q, d])] for d in range(dims)}, mode="markers+text",
                          name=escape_label(query), text=[escape_label(query)], textposition="top center",
                          marker={"size": 14, "color": "#d62728", "symbol": "diamond" if dims == 3 else "star"},
                          hovertext=[hover[q]], hovertemplate="%{hovertext}<extra></extra>",
                          customdata=[m.words[q]]))
    return missing


def loss_figure(loss_history: Sequence[Mapping[str, Any]], *, title: str = "Training loss",
                height: int = 400) -> go.Figure:
    """Loss (left axis) and words/s (right axis) against training progress, from trainer loss_history dicts."""
    rows = [r for r in loss_history if r.get("progress") is not None]
    x = [float(r["progress"]) for r in rows]
    hover = [f"epoch {escape_label(r.get('epoch', '?'))}" for r in rows]
    fig = go.Figure()
    loss = [(xi, float(r["loss"]), h) for xi, r, h in zip(x, rows, hover, strict=True) if r.get("loss") is not None]
    speed = [(xi, float(r["words_per_sec"]), h) for xi, r, h in zip(x, rows, hover, strict=True)
             if r.get("words_per_sec") is not None]
    if loss:
        fig.add_trace(go.Scatter(x=[p[0] for p in loss], y=[p[1] for p in loss], mode="lines", name="loss",
                                 customdata=[p[2] for p in loss],
                                 hovertemplate="progress %{x:.1%}<br>loss %{y:.4f}<br>%{customdata}<extra></extra>"))
    if speed:
        fig.add_trace(go.Scatter(x=[p[0] for p in speed], y=[p[1] for p in speed], mode="lines", name="words/s",
                                 yaxis="y2", line={"dash": "dot"}, customdata=[p[2] for p in speed],
                                 hovertemplate="progress %{x:.1%}<br>%{y:,.0f} words/s<br>%{customdata}"
                                               "<extra></extra>"))
    fig.update_layout(title={"text": escape_label(title)}, height=height, hovermode="x unified",
                      xaxis={"title": {"text": "training progress"}, "tickformat": ".0%"},
                      yaxis={"title": {"text": "loss"}},
                      yaxis2={"title": {"text": "words per second"}, "overlaying": "y", "side": "right",
                              "showgrid": False, "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.2})
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
