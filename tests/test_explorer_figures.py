"""Figures (trace types, every word present, escaped labels, titles, axes) and CSV exports."""
from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer import (
    Vectors,
    compute_map,
    escape_label,
    kmeans_clusters,
    loss_figure,
    map_csv,
    map_figure,
    neighbours_csv,
    neighbours_figure,
    zipf_figure,
)
from explorer.figures import EDGE_NOTE, MAX_3D_LABELS, place_labels, robust_limits
from explorer.projection import MapResult

NASTY = ["<script>alert(1)</script>", "**bold**", "$x$", "a,b", 'say "hi"', "new\nline", "<b>x</b>", "&amp;"]


@pytest.fixture(scope="module")
def vec() -> Vectors:
    rng = np.random.default_rng(0)
    words = NASTY + [f"w{i}" for i in range(52)]
    return Vectors(words, rng.standard_normal((60, 8)), counts=np.arange(600, 0, -10), name="<i>nasty</i>")


@pytest.fixture(scope="module")
def m2(vec):
    return compute_map(vec, "pca", n_words=50, cache=None)


def strings(fig: go.Figure) -> list[str]:
    """Every user-visible string in a figure: names, texts, hover texts, titles, axis titles. (Map points also
    carry the raw word in customdata, which no template renders; see test_customdata_is_raw_and_never_shown.)"""
    out = []
    for t in fig.data:
        for attr in ("name", "text", "hovertext", "y"):
            v = getattr(t, attr, None)
            if v is None:
                continue
            out += [str(x) for x in (v if isinstance(v, (list, tuple, np.ndarray)) else [v]) if x is not None]
    lay = fig.layout
    out += [str(lay.title.text), str(lay.xaxis.title.text), str(lay.yaxis.title.text)]
    out += [str(a.text) for a in lay.annotations]
    return out


def assert_escaped(fig: go.Figure) -> None:
    text = "\n".join(strings(fig))
    for raw in ("<script>", "</script>", "<i>", "<b>x</b>", "$x$", "&amp;\n"):
        assert raw not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&#36;x&#36;" in text


def marker_points(fig: go.Figure) -> int:
    return sum(len(t.x) for t in fig.data if t.mode == "markers")


def test_escape_label():
    assert escape_label('<a href="x">$5</a> & co') == "&lt;a href=&quot;x&quot;&gt;&#36;5&lt;/a&gt; &amp; co"


def test_2d_map_holds_every_word_with_escaped_hover_and_title(m2):
    fig = map_figure(m2, n_labels=10, title="<b>run</b>")
    assert {type(t) for t in fig.data} == {go.Scatter}  # a small map is SVG: cheap in a browser without a GPU
    assert marker_points(fig) == m2.n == 50
    points = fig.data[0]
    assert points.marker.colorbar.title.text == "count (log scale)" and len(points.marker.color) == 50
    assert list(points.marker.colorbar.ticktext[:3]) == ["1", "10", "100"]
    assert points.hovertext[0] == "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b><br>rank 1<br>count 600"
    assert points.hovertemplate == "%{hovertext}<extra></extra>"
    labels = fig.data[1]
    assert labels.mode == "text" and 3 <= len(labels.text) <= 10
    labelled = fig.layout.meta["labelled"]  # rows, most frequent first, every one escaped
    assert labelled == sorted(labelled) and list(labels.text) == [escape_label(m2.words[i]) for i in labelled]
    assert fig.layout.title.text == "&lt;b&gt;run&lt;/b&gt;<br>PCA of the 50 most frequent of 60 words"
    assert fig.layout.xaxis.title.text.startswith("PC1 (") and fig.layout.yaxis.title.text.startswith("PC2 (")
    assert_escaped(fig)


def test_customdata_is_raw_and_never_shown(vec, m2):
    fig = map_figure(m2, query="w3", neighbours=["w4"], color_by="match", matches=["w5"])
    for t in fig.data:
        template = (t.hovertemplate or "") + str(getattr(t, "texttemplate", "") or "")
        assert "customdata" not in template
        if t.mode in ("markers", "markers+text"):
            np.testing.assert_allclose(t.x, [m2.coords[m2.index_of(w), 0] for w in t.customdata])
    assert fig.data[0].customdata[0] == "<script>alert(1)</script>"  # raw, for selection events only


def test_cluster_and_match_colouring(vec, m2):
    clusters = kmeans_clusters(vec, n_words=m2.n, k=4, cache=None)
    fig = map_figure(m2, color_by="cluster", clusters=clusters, n_labels=0)
    assert len(fig.data) == 4 and marker_points(fig) == 50
    first = [w for w, c in zip(m2.words, clusters, strict=True) if c == 0][:3]
    assert fig.data[0].name == escape_label(f"cluster 0: {', '.join(first)} ({int((clusters == 0).sum())})")
    assert "cluster 0" in fig.data[0].hovertext[0] and fig.layout.legend.title.text == "colour: k-means cluster"
    fig = map_figure(m2, color_by="match", matches=vec.words_matching("[<$]"), n_labels=0)
    other, hits = fig.data
    assert hits.name == "matches (3)" and other.name == "other words (47)" and marker_points(fig) == 50
    assert_escaped(map_figure(m2, color_by="match", matches=NASTY))
    with pytest.raises(ValueError, match="cluster labels"):
        map_figure(m2, color_by="cluster", clusters=[0, 1])
    with pytest.raises(ValueError, match="color_by"):
        map_figure(m2, color_by="rainbow")


def test_query_highlight_with_lines_and_missing_words(vec, m2):
    hits = [("w3", 0.9), ("<b>x</b>", 0.8), ("w55", 0.7)]  # w55 is beyond the 50 mapped words
    fig = map_figure(m2, query="$x$", neighbours=hits, n_labels=0)
    by_name = {t.name: t for t in fig.data}
    links, nbrs, query = by_name["links"], by_name["neighbours"], by_name["&#36;x&#36;"]
    assert links.mode == "lines" and list(links.x).count(None) == 2 and len(links.x) == 6
    assert list(nbrs.text) == ["w3", "&lt;b&gt;x&lt;/b&gt;"] and query.marker.symbol == "star"
    assert "not in this map: w55" in fig.layout.title.text
    assert marker_points(fig) == 50  # highlight traces are extra, not a replacement
    assert_escaped(fig)
    lone = map_figure(m2, query="w59")
    assert "not in this map: w59" in lone.layout.title.text


def test_3d_map(vec):
    m3 = compute_map(vec, "pca", n_words=60, dims=3, cache=None)
    fig = map_figure(m3, query="w1", neighbours=["w2", "w3"])
    assert {type(t) for t in fig.data} == {go.Scatter3d}
    assert marker_points(fig) == 60 and "all 60 words" in fig.layout.title.text
    assert fig.layout.scene.zaxis.title.text.startswith("PC3")
    labels = fig.layout.scene.annotations  # 3D labels: on a background, limited in number
    assert len(labels) == 25 and all(a.bgcolor and not a.showarrow for a in labels)
    assert labels[0].text == "&lt;script&gt;alert(1)&lt;/script&gt;" and labels[0].font.size == 12
    assert len(map_figure(m3, n_labels=500, label_size=16).layout.scene.annotations) == MAX_3D_LABELS
    assert_escaped(fig)
    assert all("<script>" not in a.text for a in labels)


def blob_with_outliers(n: int = 300, seed: int = 0) -> MapResult:
    rng = np.random.default_rng(seed)
    xy = rng.standard_normal((n, 2))
    xy[5] = [400.0, 3.0]  # two far-out words, as seen on the live map
    xy[9] = [-2.0, -250.0]
    return MapResult(words=tuple(f"w{i}" for i in range(n)), coords=xy.astype(np.float32), method="umap",
                     params={}, total_words=n, counts=np.arange(n, 0, -1) * 3)


def test_two_outliers_do_not_squash_the_map():
    m = blob_with_outliers()
    fig = map_figure(m, n_labels=0)
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    assert x1 - x0 < 10 and y1 - y0 < 10  # the blob (std 1) fills the view, not 650 units of empty space
    edge = fig.data[-1]
    assert list(edge.customdata) == ["w5", "w9"] and edge.marker.symbol == "x" and "drawn at the edge" in edge.name
    assert all(EDGE_NOTE in h for h in edge.hovertext)
    assert x0 <= edge.x[0] <= x1 and edge.x[0] == max(t for tr in fig.data for t in tr.x)  # at the right edge
    assert y0 <= edge.y[1] <= y1 and edge.y[1] == min(t for tr in fig.data for t in tr.y)  # at the bottom edge
    assert marker_points(fig) == 300 and EDGE_NOTE not in fig.data[0].hovertext[0]
    # every other word keeps its own position
    inner = fig.data[0]
    np.testing.assert_allclose(inner.x, [m.coords[m.index_of(w), 0] for w in inner.customdata], rtol=1e-6)
    # without clipping the axes span everything
    assert map_figure(m, n_labels=0, clip_outliers=False).layout.xaxis.range[1] > 400
    lo, hi = robust_limits(np.arange(100.0))
    assert (lo, hi) == (0.0, 99.0)  # no outliers: the data range itself


def test_labels_never_overlap_and_follow_frequency():
    m = blob_with_outliers(2000, seed=1)
    fig = map_figure(m, n_labels=40, label_size=14, width=1000, height=650)
    labels = next(t for t in fig.data if t.name == "labels")
    rows = fig.layout.meta["labelled"]
    assert 10 <= len(rows) <= 40 and rows[0] == 0 and labels.textfont.size == 14
    # recompute the boxes the placer used and check no two overlap
    xlim, ylim = fig.layout.xaxis.range, fig.layout.yaxis.range
    xy = np.column_stack([labels.x, labels.y])
    sx, sy = (1000 - 180) / (xlim[1] - xlim[0]) * 1.06 / 1.06, (650 - 170) / (ylim[1] - ylim[0])
    boxes = [(x * sx - 0.3 * 14 * len(m.words[r]), y * sy, x * sx + 0.3 * 14 * len(m.words[r]), y * sy + 1.25 * 14)
             for (x, y), r in zip(xy, rows, strict=True)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # sparse points: every requested word gets its label; bigger labels leave room for fewer
    far = np.array([[i * 10.0, 0.0] for i in range(5)])
    assert place_labels(far, ["aa"] * 5, range(5), 5, xlim=(0, 40), ylim=(-1, 1), width_px=800, height_px=400,
                        font_px=12) == [0, 1, 2, 3, 4]
    small = len(map_figure(m, n_labels=200, label_size=10).layout.meta["labelled"])
    big = len(map_figure(m, n_labels=200, label_size=24).layout.meta["labelled"])
    assert small > big > 0
    assert not any(t.name == "labels" for t in map_figure(m, n_labels=0).data)


@pytest.mark.parametrize("color_by", ["frequency", "cluster", "match", "none"])
def test_every_colour_scheme_explains_its_colours(vec, m2, color_by):
    clusters = kmeans_clusters(vec, n_words=m2.n, k=3, cache=None)
    fig = map_figure(m2, color_by=color_by, clusters=clusters, matches=["w1", "w2"], n_labels=5)
    assert fig.layout.showlegend is True
    points = [t for t in fig.data if t.mode == "markers"]
    assert all(t.name and t.showlegend is not False for t in points)  # each colour has a named legend entry
    if color_by == "frequency":
        assert points[0].marker.showscale and points[0].marker.colorbar.title.text == "count (log scale)"
    if color_by == "cluster":
        assert len(points) == 3 and all(t.name.startswith(f"cluster {i}: ") for i, t in enumerate(points))
    if color_by != "none":
        assert fig.layout.legend.title.text.startswith("colour: ")
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert all(t.hovertext is not None and t.customdata is not None for t in points)


def test_loss_figure_two_axes():
    hist = [{"progress": p / 10, "loss": 4 - p / 5, "words_per_sec": 1e5 + p, "epoch": 1 + p // 5} for p in range(10)]
    fig = loss_figure(hist + [{"progress": 1.0, "loss": None, "words_per_sec": 2e5, "epoch": 2}])
    loss, speed = fig.data
    assert len(loss.x) == 10 and len(speed.x) == 11 and speed.yaxis == "y2"
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.side == "right"
    assert fig.layout.xaxis.title.text == "training progress" and fig.layout.yaxis.title.text == "loss"
    assert fig.layout.yaxis2.title.text == "words per second"
    empty = loss_figure([])
    assert not empty.data and empty.layout.annotations[0].text == "no training progress yet"


def test_zipf_figure(vec):
    fig = zipf_figure(vec.counts, vec.words)
    points, ref = fig.data
    assert isinstance(points, go.Scattergl) and len(points.x) == 60 and points.x[0] == 1
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text.startswith("rank") and ref.y[0] == 600
    assert "&lt;script&gt;" in points.hovertext[0] and "<script>" not in points.hovertext[0]
    big = zipf_figure(np.arange(50_000, 0, -1), max_points=2000)
    n = len(big.data[0].x)
    assert 1000 < n <= 3000 and big.data[0].x[-1] == 50_000 and f"{n:,} of 50,000 ranks drawn" in big.layout.title.text


def test_neighbours_figure():
    rows = [("<script>", 0.9), ("$x$", 0.5)]
    fig = neighbours_figure(rows, "<q>")
    bar = fig.data[0]
    assert isinstance(bar, go.Bar) and bar.orientation == "h" and list(bar.y) == ["&lt;script&gt;", "&#36;x&#36;"]
    assert fig.layout.title.text == "Nearest words to &lt;q&gt;" and fig.layout.xaxis.title.text == "cosine similarity"
    assert neighbours_figure(rows, metric="euclidean").layout.xaxis.title.text == "Euclidean distance"


# ------------------------------------------------------------------ exports
def test_map_csv_round_trips_awkward_words(vec, m2):
    clusters = kmeans_clusters(vec, n_words=50, k=3, cache=None)
    rows = list(csv.reader(io.StringIO(map_csv(m2, clusters))))
    assert rows[0] == ["word", "x", "y", "cluster", "count"] and len(rows) == 51
    assert [r[0] for r in rows[1:]] == list(m2.words)  # commas, quotes and newlines survive
    np.testing.assert_allclose([[float(r[1]), float(r[2])] for r in rows[1:]], m2.coords, rtol=1e-6)
    assert [int(r[3]) for r in rows[1:]] == clusters.tolist() and rows[1][4] == "600"
    m3 = compute_map(Vectors(["a", "b", "c"], np.eye(3)), "pca", 3, dims=3, cache=None)
    rows = list(csv.reader(io.StringIO(map_csv(m3))))
    assert rows[0] == ["word", "x", "y", "z", "cluster", "count"] and rows[1][4:] == ["", ""]
    with pytest.raises(ValueError):
        map_csv(m2, clusters[:3])


def test_neighbours_csv():
    text = neighbours_csv([("a,b", 0.5), ('q"uote', 0.25)], query=["king", "woman"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["rank", "word", "score", "metric", "query"], ["1", "a,b", "0.5", "cosine", "king woman"],
                    ["2", 'q"uote', "0.25", "cosine", "king woman"]]
    assert text.encode("utf-8").startswith(b"rank,word")


def test_maps_switch_to_webgl_above_svg_max_points():
    from explorer.figures import SVG_MAX_POINTS
    rng = np.random.default_rng(0)
    for n, cls in ((SVG_MAX_POINTS, go.Scatter), (SVG_MAX_POINTS + 1, go.Scattergl)):
        m = MapResult(words=tuple(f"w{i}" for i in range(n)), coords=rng.normal(size=(n, 2)).astype(np.float32),
                      method="pca", params={}, total_words=n, counts=np.arange(n, 0, -1))
        fig = map_figure(m, n_labels=5, query="w0", neighbours=["w1", "w2"])
        assert {type(t) for t in fig.data} == {cls}, n
