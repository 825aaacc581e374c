"""CSV exports of what the explorer draws: map coordinates and neighbour tables (str, for download buttons).

    from explorer import map_csv, neighbours_csv

    text = map_csv(m, clusters)            # word,x,y[,z],cluster,count - one row per mapped word, map order
    st.download_button("Download coordinates", text, "map.csv", "text/csv")   # or text.encode("utf-8")
    neighbours_csv(vec.most_similar("king"), query="king")   # rank,word,score,metric,query

Written with the csv module, so words holding commas, quotes or newlines are quoted correctly and read back
unchanged by csv.reader / pandas.read_csv. Words are written exactly (no escaping: CSV is data, not HTML).
Empty cells mean "unknown" (no clusters computed, no counts in the source).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from .projection import MapResult


def _writer() -> tuple[io.StringIO, Any]:
    buf = io.StringIO()
    return buf, csv.writer(buf, lineterminator="\n")


def map_csv(m: MapResult, clusters: Sequence[int] | np.ndarray | None = None) -> str:
    """word,x,y[,z],cluster,count for every word of the map (coordinates to 7 significant digits)."""
    if clusters is not None and len(clusters) != m.n:
        raise ValueError(f"{len(clusters)} cluster labels for a map of {m.n} words")
    buf, w = _writer()
    w.writerow(["word", *"xyz"[: m.dims], "cluster", "count"])
    coords = np.asarray(m.coords, dtype=np.float64)
    for i, word in enumerate(m.words):
        w.writerow([word, *(f"{v:.7g}" for v in coords[i]),
                    "" if clusters is None else int(clusters[i]),
                    "" if m.counts is None else int(m.counts[i])])
    return buf.getvalue()


def neighbours_csv(rows: Sequence[tuple[str, float]], query: str | Sequence[str] = "", metric: str = "cosine") -> str:
    """rank,word,score,metric,query for (word, score) pairs from most_similar / analogy."""
    q = query if isinstance(query, str) else " ".join(query)
    buf, w = _writer()
    w.writerow(["rank", "word", "score", "metric", "query"])
    for rank, (word, score) in enumerate(rows, start=1):
        w.writerow([rank, word, f"{float(score):.6g}", metric, q])
    return buf.getvalue()
