"""A tiny PNG line-chart renderer on Pillow (already installed with Streamlit); no matplotlib.

    from bench.plot import Panel, Series, save_png
    save_png("growth.png", [Panel("seconds", "words", "s", [Series("ours", xs, ys)], logx=True, logy=True)])

Each panel draws axes, a few labelled ticks (1-2-5 steps, or decades on log axes), one
polyline with point markers per series, and a legend. Enough to see a trend honestly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")


@dataclass
class Series:
    name: str
    xs: list[float]
    ys: list[float]
    colour: str | None = None


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series] = field(default_factory=list)
    logx: bool = False
    logy: bool = False
    ymin: float | None = None  # force the y range to start here (e.g. 0 for memory)


def _nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        decades = [10.0 ** e for e in range(a, b + 1)]
        ticks = [t for t in decades if lo <= t <= hi]
        if len(ticks) < 3:  # too few decades in range: add 2x and 5x
            ticks = [t * m for t in decades for m in (1, 2, 5) if lo <= t * m <= hi]
        return ticks or [lo, hi]
    span = hi - lo or 1.0
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _label(v: float) -> str:
    if v == 0:
        return "0"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= div:
            return f"{v / div:g}{unit}"
    return f"{v:g}"


def _draw_panel(draw, font, box: tuple[int, int, int, int], p: Panel) -> None:
    x0, y0, x1, y1 = box
    left, right, top, bottom = x0 + 70, x1 - 20, y0 + 40, y1 - 55
    xs = [x for s in p.series for x in s.xs]
    ys = [y for s in p.series for y in s.ys]
    if not xs:
        return
    fx = (lambda v: math.log10(v)) if p.logx else (lambda v: v)
    fy = (lambda v: math.log10(v)) if p.logy else (lambda v: v)
    xlo, xhi = min(xs), max(xs)
    ylo, yhi = (p.ymin if p.ymin is not None else min(ys)), max(ys)
    if p.logx:
        xlo, xhi = xlo / 1.3, xhi * 1.3
    if p.logy:
        ylo, yhi = ylo / 1.5, yhi * 1.5
    else:
        pad = (yhi - ylo) * 0.08 or 1.0
        ylo, yhi = (ylo if p.ymin is not None else ylo - pad), yhi + pad
    if xhi == xlo:
        xlo, xhi = xlo * 0.9, xhi * 1.1 + 1e-9

    def px(v):
        return left + (fx(v) - fx(xlo)) / (fx(xhi) - fx(xlo)) * (right - left)

    def py(v):
        return bottom - (fy(v) - fy(ylo)) / (fy(yhi) - fy(ylo)) * (bottom - top)

    draw.text((x0 + 10, y0 + 10), p.title, fill="black", font=font)
    draw.rectangle((left, top, right, bottom), outline="#444444")
    for t in _nice_ticks(xlo, xhi, p.logx):
        x = px(t)
        draw.line((x, top, x, bottom), fill="#e6e6e6")
        draw.line((x, bottom, x, bottom + 4), fill="#444444")
        draw.text((x - 12, bottom + 7), _label(t), fill="black", font=font)
    for t in _nice_ticks(ylo, yhi, p.logy):
        y = py(t)
        draw.line((left, y, right, y), fill="#e6e6e6")
        draw.line((left - 4, y, left, y), fill="#444444")
        draw.text((x0 + 8, y - 6), _label(t), fill="black", font=font)
    draw.rectangle((left, top, right, bottom), outline="#444444")
    draw.text(((left + right) // 2 - 30, bottom + 25), p.xlabel, fill="black", font=font)
    draw.text((x0 + 8, top - 16), p.ylabel, fill="black", font=font)
    for i, s in enumerate(p.series):
        colour = s.colour or COLOURS[i % len(COLOURS)]
        pts = [(px(x), py(y)) for x, y in zip(s.xs, s.ys)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        for x, y in pts:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colour)
        ly = top + 8 + 16 * i
        draw.line((left + 10, ly + 6, left + 30, ly + 6), fill=colour, width=3)
        draw.text((left + 36, ly), s.name, fill="black", font=font)


def save_png(path: str | Path, panels: list[Panel], panel_size: tuple[int, int] = (520, 380)) -> Path | None:
    """Panels side by side in one PNG; returns the path, or None when Pillow is missing."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return None
    w, h = panel_size
    img = Image.new("RGB", (w * len(panels), h), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for i, p in enumerate(panels):
        _draw_panel(draw, font, (i * w, 0, (i + 1) * w, h), p)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)
    return path
