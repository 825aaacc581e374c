"""Plotly word maps (2D: SVG up to SVG_MAX_POINTS words, WebGL beyond; 3D) and the label helpers every figure uses.
No streamlit here. The other charts (loss curve, Zipf plot, neighbour bars) are in explorer/figures_charts.py.

    from explorer import compute_map, kmeans_clusters, map_figure

    m = compute_map(vec, "umap", n_words=5000)
    fig = map_figure(m)                                            # coloured by frequency (a count colour bar)
    fig = map_figure(m, n_labels=40, label_size=14)                # more, larger labels (never overlapping in 2D)
    fig = map_figure(m, color_by="cluster", clusters=kmeans_clusters(vec, n_words=m.n))  # legend names clusters
    fig = map_figure(m, color_by="match", matches=vec.words_matching("^un"))
    hits = vec.most_similar("king", topn=10)
    fig = map_figure(m, query="king", neighbours=hits)             # highlighted, with lines to the neighbours
    st.plotly_chart(fig)                                           # in the app

Every mapped word is in the figure (one point per word, all traces together); the title says when the map holds
only the top N of V words. The axes cover the central part of the map (robust_limits): a few far-out words are
drawn at the edge as 'x' markers with a hover note, instead of squashing everyone else into a blob.
Words are data, never markup: every label, hover text and title goes through
`escape_label` (html.escape, plus '$' -> '&#36;' so plotly does not start MathJax), because plotly renders
hover text and labels as HTML.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .projection import MapResult

CLUSTER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")
COLOR_BY = ("frequency", "cluster", "match", "none")
# 2D maps of up to this many words are drawn as SVG, larger ones with WebGL (see scatter_class).
SVG_MAX_POINTS = 1000


def escape_label(text: object) -> str:
    """Make any string safe to show as plotly text/hover/title: HTML-escaped, '$' neutralised."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def escape_markdown(text: object) -> str:
    """Make a word safe inside Streamlit/CommonMark markdown: every ASCII punctuation character (`*`, `_`, `$`,
    `<`, `[`, ...) is backslash-escaped, so '**bold**' or '$x$' show literally. (st.dataframe needs nothing.)"""
    return "".join("\\" + ch if ch in _MD_PUNCT else ch for ch in str(text))


_MD_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


MAX_3D_LABELS = 40  # 3D labels cannot avoid each other (the view turns), so only a few, on a background
EDGE_NOTE = "outside the central part of the map: drawn at the edge"


def robust_limits(values: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.0,
                  margin: float = 0.5) -> tuple[float, float]:
    """Axis limits that ignore a few far-out points: the [lo_pct, hi_pct] percentile range widened by `margin`
    of its width on each side, never beyond the data. Two outliers then no longer squash the other words into
    a blob; points outside are drawn at the edge (see map_figure)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return 0.0, 1.0
    p_lo, p_hi = np.percentile(v, [lo_pct, hi_pct])
    pad = margin * (p_hi - p_lo)
    lo, hi = max(float(v.min()), p_lo - pad), min(float(v.max()), p_hi + pad)
    if hi <= lo:
        lo, hi = float(v.min()), float(v.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def place_labels(xy: np.ndarray, texts: Sequence[str], candidates: Iterable[int], n: int, *,
                 xlim: tuple[float, float], ylim: tuple[float, float], width_px: float, height_px: float,
                 font_px: float) -> list[int]:
    """Greedy label placement in screen pixels: go through `candidates` (most important first) and keep a
    label when its box (centred above its point) overlaps no kept box; stop at `n`. Returns the kept indices.
    Box size is estimated from the font size (0.6 em per character), which is close enough for spacing."""
    sx = width_px / max(xlim[1] - xlim[0], 1e-12)
    sy = height_px / max(ylim[1] - ylim[0], 1e-12)
    kept: list[int] = []
    boxes = np.empty((0, 4))
    h = 1.25 * font_px + 2
    for i in candidates:
        if len(kept) >= n:
            break
        px, py = (xy[i, 0] - xlim[0]) * sx, (xy[i, 1] - ylim[0]) * sy
        w = 0.6 * font_px * max(len(texts[i]), 1) + 4
        box = np.array([px - w / 2, py + 3, px + w / 2, py + 3 + h])
        if len(boxes) and np.any((boxes[:, 0] < box[2]) & (box[0] < boxes[:, 2]) &
                                 (boxes[:, 1] < box[3]) & (box[1] < boxes[:, 3])):
            continue
        kept.append(int(i))
        boxes = np.vstack([boxes, box])
    return kept


def _hover(m: MapResult, clusters: np.ndarray | None, outside: np.ndarray) -> list[str]:
    out = []
    for i, w in enumerate(m.words):
        parts = [f"<b>{escape_label(w)}</b>", f"rank {i + 1:,}"]
        if m.counts is not None:
            parts.append(f"count {int(m.counts[i]):,}")
        if clusters is not None:
            parts.append(f"cluster {int(clusters[i])}")
        if outside[i]:
            parts.append(f"<i>{EDGE_NOTE}</i>")
        out.append("<br>".join(parts))
    return out


def scatter_class(dims: int, n: int) -> type:
    """The plotly trace for a map of n words: SVG up to SVG_MAX_POINTS in 2D (a browser without a GPU renders
    WebGL in software, and a few hundred SVG points cost it far less), WebGL beyond, Scatter3d in 3D."""
    if dims != 2:
        return go.Scatter3d
    return go.Scatter if n <= SVG_MAX_POINTS else go.Scattergl


def _points(dims: int, idx: np.ndarray, coords: np.ndarray, hover: list[str], words: Sequence[str], name: str,
            marker: dict[str, Any], **kw: Any) -> go.Scatter | go.Scattergl | go.Scatter3d:
    cls = scatter_class(dims, len(words))
    xyz = {"xyz"[d]: coords[idx, d] for d in range(dims)}
    return cls(**xyz, mode="markers", name=name, marker=marker, hovertext=[hover[i] for i in idx],
               hovertemplate="%{hovertext}<extra></extra>", customdata=[words[i] for i in idx], **kw)


def _count_colourbar(logc: np.ndarray) -> dict[str, Any]:
    """A colour bar in real counts (1, 10, 100, 1k, ...) at log-spaced ticks."""
    top = int(np.ceil(float(logc.max()))) if len(logc) else 1
    ticks = list(range(0, max(top, 1) + 1))
    text = [f"{10 ** t:,}" if t < 3 else f"{10 ** (t - 3):,}k" if t < 6 else f"{10 ** (t - 6):,}M" for t in ticks]
    return {"title": {"text": "count (log scale)"}, "tickvals": ticks, "ticktext": text}


def map_figure(m: MapResult, *, color_by: str = "frequency", clusters: Sequence[int] | np.ndarray | None = None,
               matches: Iterable[str] | None = None, query: str | None = None,
               neighbours: Sequence[str | tuple[str, float]] | None = None, n_labels: int = 25,
               label_size: int = 12, title: str | None = None, height: int = 650, width: int | None = None,
               point_size: float | None = None, clip_outliers: bool = True, legend_below: bool = False) -> go.Figure:
    """Scatter of every word in `m` (2D: SVG up to SVG_MAX_POINTS words, WebGL beyond; 3D: go.Scatter3d) with hover
    (word, rank, count, cluster).

    color_by: "frequency" (colour bar in counts, log scale), "cluster" (needs `clusters`, aligned with m.words;
    the legend names each cluster by its most frequent words), "match" (words in `matches` highlighted) or
    "none". Every scheme has a legend (or a colour bar) saying what the colours mean.
    query/neighbours: highlight a word and its neighbours (words or (word, score) pairs from most_similar) with
    connecting lines; those outside the map are named in the title.
    n_labels, label_size: write up to n frequent words on the map, in label_size px. In 2D the labels never
    overlap (a greedy placer, most frequent first, assuming a plot `width` px wide, default 1000); in 3D at most
    MAX_3D_LABELS labels, on a light background so they stay readable over points.
    clip_outliers: the axes cover the central part of the map (robust_limits); the few words beyond it are
    drawn at the edge as 'x' markers, in their own legend entry, and their hover says so.
    Point traces carry the raw word in `customdata` (never rendered), so a selection event names its word:
    event["selection"]["points"][0]["customdata"] (use it, not the x/y, which may be clipped).
    legend_below: a horizontal legend under the plot (it then never covers the colour bar).
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {COLOR_BY}")
    dims, n, raw = m.dims, m.n, np.asarray(m.coords, dtype=np.float64)
    cl = None if clusters is None else np.asarray(clusters, dtype=np.int64)
    if cl is not None and cl.shape != (n,):
        raise ValueError(f"{len(cl)} cluster labels for a map of {n} words")
    limits = [robust_limits(raw[:, d]) if clip_outliers else (float(raw[:, d].min()), float(raw[:, d].max()))
              for d in range(dims)]
    coords = np.column_stack([np.clip(raw[:, d], *limits[d]) for d in range(dims)]) if n else raw
    outside = np.any(coords != raw, axis=1) if n else np.zeros(0, dtype=bool)
    hover = _hover(m, cl, outside)
    size = point_size or (6 if n <= 2000 else 4 if n <= 20000 else 3)
    traces: list = []  # the figure is built once at the end: plotly re-validates on every change
    everyone = np.arange(n)
    inside = everyone[~outside]
    legend_title = {"frequency": "colour: how often the word occurs", "cluster": "colour: k-means cluster",
                    "match": "colour: matching words", "none": ""}[color_by]
    if color_by == "cluster" and cl is not None:
        from .clusters import cluster_names

        names = cluster_names(m.words, cl)
        for c in np.unique(cl):
            idx = inside[cl[inside] == c]
            colour = CLUSTER_COLOURS[int(c) % len(CLUSTER_COLOURS)]
            traces.append(_points(dims, idx, coords, hover, m.words,
                                  f"{escape_label(names[int(c)])} ({int((cl == c).sum()):,})",
                                  {"size": size, "color": colour, "opacity": 0.8}))
    elif color_by == "match" and matches is not None:
        wanted = set(matches)
        hit = np.array([w in wanted for w in m.words], dtype=bool)
        traces.append(_points(dims, inside[~hit[inside]], coords, hover, m.words,
                              f"other words ({int((~hit).sum()):,})", {"size": size, "color": "#bbbbbb",
                                                                        "opacity": 0.5}))
        traces.append(_points(dims, inside[hit[inside]], coords, hover, m.words, f"matches ({int(hit.sum()):,})",
                              {"size": size + 3, "color": "#d62728", "opacity": 0.95}))
    elif color_by == "frequency" and m.counts is not None:
        logc = np.log10(np.maximum(np.asarray(m.counts, dtype=np.float64), 1.0))
        traces.append(_points(dims, inside, coords, hover, m.words, f"words ({len(inside):,})", {
            "size": size, "color": logc[inside], "colorscale": "Viridis", "cmin": 0.0,
            "cmax": max(float(logc.max()), 1e-9), "opacity": 0.8, "showscale": True,
            "colorbar": _count_colourbar(logc)}))
    else:
        traces.append(_points(dims, inside, coords, hover, m.words, f"words ({len(inside):,})",
                              {"size": size, "opacity": 0.8, "color": "#1f77b4"}))
    if outside.any():
        idx = everyone[outside]
        traces.append(_points(dims, idx, coords, hover, m.words, f"{len(idx):,} far-out words, drawn at the edge",
                              {"size": size + 2, "color": "#555555", "symbol": "x", "opacity": 0.9}))
    heading = escape_label(title) + "<br>" if title else ""
    heading += escape_label(m.note)
    label_idx, annotations = _add_labels(traces, m, coords, limits, n_labels, label_size, height, width)
    missing = _highlight(traces, m, coords, hover, query, neighbours) if query else []
    if missing:
        shown = ", ".join(escape_label(w) for w in missing[:8]) + (" ..." if len(missing) > 8 else "")
        heading += f"<br><sup>not in this map: {shown}</sup>"
    axes = m.axis_titles()
    legend = {"itemsizing": "constant", "title": {"text": legend_title}}
    if legend_below:  # at the bottom of the figure, in a margin of its own: never over the x-axis title
        legend.update(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0)
    span = [(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)) for lo, hi in limits]
    if dims == 2:
        axis_layout = {"xaxis": {"title": {"text": axes[0]}, "range": list(span[0])},
                       "yaxis": {"title": {"text": axes[1]}, "range": list(span[1])}}
    else:
        axis_layout = {"scene": {f"{a}axis": {"title": {"text": axes[d]}, "range": list(span[d])}
                                 for d, a in enumerate("xyz")}}
        if annotations:
            axis_layout["scene"]["annotations"] = annotations
    # One go.Figure call with every trace and the whole layout: each add_trace/update_layout re-validates
    # (measured 24 -> 8 ms for a 100-word map), and the live map is rebuilt on the server's script thread
    # while training (ui/train_tab.py), so that cost is taken from training.
    return go.Figure(data=traces, layout={
        "title": {"text": heading}, "height": height, "showlegend": True, "legend": legend,
        "hoverlabel": {"align": "left"}, "margin": {"t": 90, **({"b": 85} if legend_below and dims == 2 else {})},
        "meta": {"labelled": label_idx},
        **({"width": width} if width else {}), **axis_layout})


def _add_labels(traces: list, m: MapResult, coords: np.ndarray, limits: list[tuple[float, float]],
                n_labels: int, label_size: int, height: int, width: int | None) -> tuple[list[int], list[dict]]:
    """Write the most frequent words: non-overlapping text in 2D (a trace added to `traces`), a few scene
    annotations with a background in 3D. Returns (the labelled rows, the 3D annotations)."""
    n = m.n
    if n_labels <= 0 or n == 0:
        return [], []
    if m.dims == 2:
        candidates = range(min(n, max(50 * n_labels, 500)))
        keep = place_labels(coords, m.words, candidates, n_labels, xlim=limits[0], ylim=limits[1],
                            width_px=max((width or 1000) - 180, 200), height_px=max(height - 170, 150),
                            font_px=label_size)
        if keep:
            traces.append(scatter_class(2, n)(x=coords[keep, 0], y=coords[keep, 1], mode="text", name="labels",
                                       text=[escape_label(m.words[i]) for i in keep], textposition="top center",
                                       textfont={"size": label_size}, hoverinfo="skip", showlegend=False))
        return keep, []
    keep = list(range(min(n, n_labels, MAX_3D_LABELS)))
    return keep, [
        {"x": float(coords[i, 0]), "y": float(coords[i, 1]), "z": float(coords[i, 2]),
         "text": escape_label(m.words[i]), "showarrow": False, "yshift": 10, "font": {"size": label_size},
         "bgcolor": "rgba(255,255,255,0.75)", "bordercolor": "rgba(0,0,0,0.25)", "borderpad": 1}
        for i in keep]


def _highlight(traces: list, m: MapResult, coords: np.ndarray, hover: list[str], query: str,
               neighbours: Sequence[str | tuple[str, float]] | None) -> list[str]:
    """Add the query star, neighbour points and connecting lines to `traces`; returns the words not in the map."""
    dims = m.dims
    names = [nb if isinstance(nb, str) else nb[0] for nb in (neighbours or [])]
    missing = [w for w in [query, *names] if m.index_of(w) is None]
    q = m.index_of(query)
    found = np.array([i for w in names if (i := m.index_of(w)) is not None], dtype=np.int64)
    cls = scatter_class(dims, m.n)
    if q is not None and len(found):
        line: dict[str, list[float | None]] = {"xyz"[d]: [] for d in range(dims)}
        for i in found:
            for d in range(dims):
                line["xyz"[d]] += [float(coords[q, d]), float(coords[i, d]), None]
        traces.append(cls(**line, mode="lines", name="links", hoverinfo="skip", showlegend=False,
                          line={"color": "#d62728", "width": 1}))
    if len(found):
        traces.append(cls(**{"xyz"[d]: coords[found, d] for d in range(dims)}, mode="markers+text",
                          name="neighbours", text=[escape_label(m.words[i]) for i in found],
                          textposition="top center", marker={"size": 9, "color": "#ff7f0e"},
                          hovertext=[hover[i] for i in found], hovertemplate="%{hovertext}<extra></extra>",
                          customdata=[m.words[i] for i in found]))
    if q is not None:
        traces.append(cls(**{"xyz"[d]: [float(coords[q, d])] for d in range(dims)}, mode="markers+text",
                          name=escape_label(query), text=[escape_label(query)], textposition="top center",
                          marker={"size": 14, "color": "#d62728", "symbol": "diamond" if dims == 3 else "star"},
                          hovertext=[hover[q]], hovertemplate="%{hovertext}<extra></extra>",
                          customdata=[m.words[q]]))
    return missing
