"""Figures for comparing runs and for formula axes (plotly, no streamlit).

    from explorer.alignment import align_runs
    from explorer.formula_axes import project_formula
    from explorer.figures_compare import aligned_map_figure, aligned_coords, formula_figure

    al = align_runs(vec_a, vec_b)
    st.plotly_chart(aligned_map_figure(al, n_words=2000, label_top=15))   # one map, B joined to A by lines
    p = project_formula(vec, "woman - man", "rich - poor", words=m.words)
    st.plotly_chart(formula_figure(p, highlight=["king", "queen"]))

The aligned map: a PCA fitted on A's (processed) vectors of the shown words; B's aligned vectors go through the
same centring and axes, so both runs share one set of coordinates and a line from a word's A point to its B
point shows how far it moved. B's points are coloured by cosine distance after alignment. PCA rather than UMAP
because a linear map keeps "moved far in the vectors" = "moved far on the map"; UMAP would need a second fit.
Every point carries its raw word in `customdata` (as explorer.figures.map_figure), so selection events name it;
every label and hover text is HTML-escaped (escape_label).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go

from .alignment import Alignment
from .figures import escape_label
from .formula_axes import FormulaProjection

logger = logging.getLogger(__name__)

A_COLOUR = "rgba(120, 120, 120, 0.55)"
LINE_COLOUR = "rgba(150, 150, 150, 0.25)"


def shown_rows(al: Alignment, n_words: int = 2000, include_moved: int = 50) -> np.ndarray:
    """Rows drawn: the first n_words shared words (A's frequency order) plus the top `include_moved` movers."""
    rows = np.arange(min(max(int(n_words), 0), al.n))
    extra = al.order[: max(int(include_moved), 0)]
    return np.union1d(rows, extra).astype(np.int64)


def aligned_coords(al: Alignment, rows: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(coords of A [len(rows), dims], coords of aligned B, explained-variance ratios): one PCA fitted on A."""
    a = np.asarray(al.a[rows], dtype=np.float64)
    b = np.asarray(al.b_aligned[rows], dtype=np.float64)
    mean = a.mean(axis=0)
    evals, evecs = np.linalg.eigh((a - mean).T @ (a - mean))
    order = np.argsort(evals)[::-1][:dims]
    comps = evecs[:, order]
    comps = comps * np.where(comps[np.abs(comps).argmax(axis=0), np.arange(comps.shape[1])] < 0, -1.0, 1.0)
    total = float(np.clip(evals, 0, None).sum())
    ratio = np.clip(evals[order], 0, None) / total if total > 0 else np.zeros(len(order))
    return ((a - mean) @ comps).astype(np.float32), ((b - mean) @ comps).astype(np.float32), ratio


def aligned_map_figure(al: Alignment, *, n_words: int = 2000, label_top: int = 15, include_moved: int = 50,
                       height: int = 650) -> go.Figure:
    """Both runs in one 2D map: A grey, B coloured by cosine distance, a faint line from each A point to its B
    point; the `label_top` most moved words are labelled."""
    rows = shown_rows(al, n_words, include_moved)
    ca, cb, ratio = aligned_coords(al, rows)
    words = [al.words[i] for i in rows]
    dist = np.asarray(al.distance[rows], dtype=np.float64)
    ov = np.asarray(al.overlap[rows], dtype=np.float64)
    safe = [escape_label(w) for w in words]
    name_a, name_b = escape_label(al.name_a), escape_label(al.name_b)
    hover = [f"<b>{s}</b><br>cosine distance {d:.3f}<br>"
             + (f"top-{al.neighbours} overlap {o:.2f}" if np.isfinite(o) else "overlap not computed")
             for s, d, o in zip(safe, dist, ov, strict=True)]

    fig = go.Figure()
    lx = np.full(3 * len(rows), np.nan)
    ly = np.full(3 * len(rows), np.nan)
    lx[0::3], lx[1::3], ly[0::3], ly[1::3] = ca[:, 0], cb[:, 0], ca[:, 1], cb[:, 1]
    fig.add_trace(go.Scattergl(x=lx, y=ly, mode="lines", line={"color": LINE_COLOUR, "width": 1},
                               hoverinfo="skip", name="moves", showlegend=False, connectgaps=False))
    fig.add_trace(go.Scattergl(x=ca[:, 0], y=ca[:, 1], mode="markers", name=f"{name_a} (reference)",
                               marker={"size": 5, "color": A_COLOUR}, customdata=words,
                               hovertext=[f"{h}<br>in {name_a}" for h in hover],
                               hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_trace(go.Scattergl(x=cb[:, 0], y=cb[:, 1], mode="markers", name=f"{name_b} (aligned)",
                               marker={"size": 6, "color": dist, "colorscale": "OrRd", "cmin": 0.0,
                                       "cmax": max(float(dist.max()) if len(dist) else 1.0, 1e-6),
                                       "colorbar": {"title": {"text": "cosine distance"}}, "showscale": True},
                               customdata=words, hovertext=[f"{h}<br>in {name_b}" for h in hover],
                               hovertemplate="%{hovertext}<extra></extra>"))
    drawn = set(rows.tolist())
    top = [int(np.searchsorted(rows, i)) for i in al.order[: max(int(label_top), 0)] if int(i) in drawn]
    if top:
        fig.add_trace(go.Scatter(x=cb[top, 0], y=cb[top, 1], mode="text", text=[safe[i] for i in top],
                                 textposition="top center", name="moved most", hoverinfo="skip",
                                 customdata=[words[i] for i in top], textfont={"size": 12}))
    shown = f"{len(rows):,} of {al.n:,} shared words" if len(rows) < al.n else f"{al.n:,} shared words"
    pct = [f" ({r:.0%} of variance)" for r in ratio] + [""] * (2 - len(ratio))
    fig.update_layout(title={"text": f"{name_b} aligned to {name_a}: {shown}"}, height=height,
                      xaxis={"title": {"text": f"PC1 of {name_a}{pct[0]}"}},
                      yaxis={"title": {"text": f"PC2 of {name_a}{pct[1]}"}, "scaleanchor": "x"},
                      legend={"orientation": "h", "y": -0.12}, margin={"t": 60})
    return fig


def formula_figure(p: FormulaProjection, *, highlight: Iterable[str] = (), label_extremes: int = 5,
                   height: int = 600) -> go.Figure:
    """Scatter of p.words at (x, y) with the formulas as axis titles; the axes' own words, `highlight` and the
    `label_extremes` words at each end of each axis are labelled. The title counts unplaced words."""
    words = list(p.words)
    x, y = np.asarray(p.x, dtype=np.float64), np.asarray(p.y, dtype=np.float64)
    safe = [escape_label(w) for w in words]
    fig = go.Figure(go.Scattergl(
        x=x, y=y, mode="markers", name="words", marker={"size": 5, "color": "#1f77b4", "opacity": 0.7},
        customdata=words, hovertext=[f"<b>{s}</b><br>x {a:.3f}<br>y {b:.3f}" for s, a, b in zip(safe, x, y,
                                                                                                 strict=True)],
        hovertemplate="%{hovertext}<extra></extra>"))
    pos = {w: i for i, w in enumerate(words)}
    keep = [pos[w] for w in dict.fromkeys([*p.x_formula.words, *p.y_formula.words, *highlight]) if w in pos]
    k = max(int(label_extremes), 0)
    if k and words:
        for v in (x, y):
            order = np.argsort(v)
            keep += order[:k].tolist() + order[-k:].tolist()
    keep = list(dict.fromkeys(keep))
    if keep:
        fig.add_trace(go.Scatter(x=x[keep], y=y[keep], mode="markers+text", text=[safe[i] for i in keep],
                                 textposition="top center", name="labelled", customdata=[words[i] for i in keep],
                                 marker={"size": 7, "color": "#d62728"},
                                 hovertext=[f"<b>{safe[i]}</b><br>x {x[i]:.3f}<br>y {y[i]:.3f}" for i in keep],
                                 hovertemplate="%{hovertext}<extra></extra>"))
    what = "cosine with the axis" if p.normalize else "dot product with the axis"
    missing = f"; {len(p.unplaced):,} word(s) could not be placed" if p.unplaced else ""
    fig.update_layout(
        title={"text": f"{escape_label(p.name)}: {len(words):,} words on formula axes{missing}"}, height=height,
        xaxis={"title": {"text": f"x = {escape_label(p.x_label)} ({what})"}, "zeroline": True},
        yaxis={"title": {"text": f"y = {escape_label(p.y_label)} ({what})"}, "zeroline": True},
        showlegend=False, margin={"t": 60})
    return fig
