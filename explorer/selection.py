"""Selections of words made on a map (plotly box / lasso select), as a typed value the UI can keep.

    from explorer.selection import Selection, selection_from_event

    event = st.plotly_chart(fig, on_select="rerun", selection_mode=("box", "lasso"), key="map")
    sel = selection_from_event(event)            # words from each point's customdata (map_figure puts them there)
    sel = selection_from_event(event, words=m.words)   # or from point indices, for a one-trace figure
    sel.words, len(sel), "king" in sel, sel.skipped
    sel.table(vec)                               # DataFrame: word, count, rank (frequency rank in vec)
    st.download_button("selection.csv", sel.csv(vec), "selection.csv", "text/csv")
    sel.mask(m.words)                            # bool [n]: which map words are selected
    colour_groups(m.words, {"group 1": sel1, "group 2": sel2})   # label per word, "other" elsewhere
    sel = Selection.empty()                      # cleared (also: sel.clear())

A Streamlit selection event is a dict-like {"selection": {"points": [...], "point_indices": [...], "box": [...],
"lasso": [...]}}; a point is {"curve_number", "point_index", "customdata", "x", "y", ...} and `customdata` may be
the word itself or a list whose first item is the word. Points without a word (e.g. a line trace, or an index
outside `words`) are counted in `skipped`, never guessed. Words keep the order they were first selected in.
"""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from .vectors import Vectors

logger = logging.getLogger(__name__)

OTHER = "other"  # colour-group label of words in no selection


@dataclass(frozen=True)
class Selection:
    """An ordered set of selected words; `skipped` counts event points that named no word."""

    words: tuple[str, ...] = ()
    skipped: int = 0

    @classmethod
    def empty(cls) -> Selection:
        return cls()

    @classmethod
    def of(cls, words: Iterable[str]) -> Selection:
        return cls(tuple(dict.fromkeys(str(w) for w in words)))

    @classmethod
    def from_indices(cls, indices: Iterable[int], words: Sequence[str]) -> Selection:
        """Words at `indices` of `words`; out-of-range indices are counted in `skipped`."""
        picked, skipped = [], 0
        for i in indices:
            if isinstance(i, (int, np.integer)) and 0 <= int(i) < len(words):
                picked.append(words[int(i)])
            else:
                skipped += 1
        return cls(tuple(dict.fromkeys(picked)), skipped)

    def __len__(self) -> int:
        return len(self.words)

    def __bool__(self) -> bool:
        return bool(self.words)

    def __contains__(self, word: object) -> bool:
        return word in set(self.words)

    def clear(self) -> Selection:
        return Selection()

    def union(self, other: Selection) -> Selection:
        return Selection(tuple(dict.fromkeys(self.words + other.words)), self.skipped + other.skipped)

    def mask(self, words: Sequence[str]) -> np.ndarray:
        """bool [len(words)]: True where the word is selected (e.g. the words of a MapResult)."""
        chosen = set(self.words)
        return np.fromiter((w in chosen for w in words), dtype=bool, count=len(words))

    def table(self, vec: Vectors | None = None) -> pd.DataFrame:
        """word, count (corpus count in vec; <NA> when unknown), rank (1 = most frequent in vec; <NA> if absent).
        Sorted by count, most frequent first (selection order when there are no counts)."""
        import pandas as pd

        counts, ranks = [], []
        for w in self.words:
            known = vec is not None and w in vec
            ranks.append(vec.index_of(w) + 1 if known else None)
            counts.append(vec.count(w) if known else None)
        df = pd.DataFrame({"word": list(self.words), "count": pd.array(counts, dtype="Int64"),
                           "rank": pd.array(ranks, dtype="Int64")})
        if df["count"].notna().any():
            df = df.sort_values("count", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
        return df

    def csv(self, vec: Vectors | None = None) -> bytes:
        """The table as UTF-8 CSV bytes (csv module quoting: commas, quotes and newlines in words survive)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["word", "count", "rank"])
        import pandas as pd

        df = self.table(vec)
        for word, count, rank in zip(df["word"], df["count"], df["rank"], strict=True):
            w.writerow([word, "" if pd.isna(count) else int(count), "" if pd.isna(rank) else int(rank)])
        return buf.getvalue().encode("utf-8")


def _word_of(point: Mapping[str, Any], words: Sequence[str] | Mapping[int, Sequence[str]] | None) -> str | None:
    data = point.get("customdata")
    if isinstance(data, (list, tuple)):
        data = data[0] if data else None
    if isinstance(data, str):
        return data
    if words is None:
        return None
    idx = point.get("point_index", point.get("point_number"))
    if not isinstance(idx, int) or isinstance(idx, bool):
        return None
    if isinstance(words, Mapping):  # per-trace word lists: {curve_number: words}
        words = words.get(point.get("curve_number", 0))
        if words is None:
            return None
    return words[idx] if 0 <= idx < len(words) else None


def selection_from_event(event: Any, words: Sequence[str] | Mapping[int, Sequence[str]] | None = None) -> Selection:
    """A Selection from st.plotly_chart's on_select return value (or its "selection" part, or a points list).

    Each point's word is its customdata (a string, or the first item of a list); failing that, with `words`,
    the word at its point_index (`words` may map curve_number -> that trace's words). None or an empty event
    gives an empty Selection."""
    if event is None:
        return Selection()
    sel = event.get("selection", event) if isinstance(event, Mapping) else getattr(event, "selection", event)
    points = sel.get("points", []) if isinstance(sel, Mapping) else sel
    if not isinstance(points, (list, tuple)):
        raise TypeError(f"not a plotly selection event: {type(event).__name__}")
    picked, skipped = [], 0
    for p in points:
        w = _word_of(p, words) if isinstance(p, Mapping) else None
        if w is None:
            skipped += 1
        else:
            picked.append(w)
    if skipped:
        logger.debug("selection: %d point(s) without a word skipped", skipped)
    return Selection(tuple(dict.fromkeys(picked)), skipped)


def colour_groups(words: Sequence[str], groups: Mapping[str, Selection], other: str = OTHER) -> np.ndarray:
    """Object array [len(words)]: the name of the first group holding each word, `other` elsewhere.

    For a figure's colour: e.g. map_figure(m, color_by="match", matches=sel.words) for one group, or one trace
    per label for several."""
    out = np.full(len(words), other, dtype=object)
    for name, sel in reversed(list(groups.items())):  # first group wins: paint it last
        out[sel.mask(words)] = name
    return out
