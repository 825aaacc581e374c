"""Shareable views: the Explore tab's state as a typed value <-> URL query parameters (strings only).

    from explorer.view_state import ViewState

    view = ViewState(run="shakespeare", method="umap", dims=2, top_n=5000, colour="cluster", word="king",
                     x_axis="woman - man", y_axis="rich - poor")
    st.query_params.from_dict(view.to_query_params())        # {"run": "shakespeare", "method": "umap", ...}
    view, problems = ViewState.from_query_params(st.query_params.to_dict())
    for p in problems: st.warning(p)                          # bad or unknown values: a sentence each, never raised
    msg = view.run_problem(list(runs))                        # None, or "This link shows run 'x', which ..."

Only values that differ from the defaults are written, so a plain page has a plain URL. Parsing never raises:
each unknown key or invalid value becomes a human sentence in `problems` and that field keeps its default.
The word and the formulas are kept as typed text (length-capped); the UI checks them against the loaded vectors
like anything else the user types.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .figures import COLOR_BY
from .projection import METHOD_LIMITS

logger = logging.getLogger(__name__)

METHODS = tuple(METHOD_LIMITS)  # imported, so a link accepts exactly what the map can draw
COLOURS = tuple(COLOR_BY)
DIMS = (2, 3)
TOP_N_RANGE = (10, 10_000_000)
MAX_TEXT = 200  # characters for run names, words and formulas

# field name -> query parameter name (short, stable: these end up in shared links)
KEYS = {"run": "run", "method": "method", "dims": "dims", "top_n": "top", "colour": "colour", "word": "word",
        "x_axis": "x", "y_axis": "y"}


@dataclass(frozen=True)
class ViewState:
    """What the Explore tab shows. Empty strings mean "not set"."""

    run: str = ""  # run (or loaded vectors / sample) name
    method: str = "umap"
    dims: int = 2
    top_n: int = 5000  # words on the map
    colour: str = "frequency"
    word: str = ""  # searched word
    x_axis: str = ""  # formula axes; both empty: the projection map
    y_axis: str = ""

    def validate(self) -> list[str]:
        """Sentences describing invalid fields (empty when valid)."""
        out = []
        if self.method not in METHODS:
            out.append(f"map method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.dims not in DIMS:
            out.append(f"dims {self.dims!r} must be 2 or 3")
        if not (isinstance(self.top_n, int) and TOP_N_RANGE[0] <= self.top_n <= TOP_N_RANGE[1]):
            out.append(f"top-N {self.top_n!r} must be a whole number from {TOP_N_RANGE[0]:,} to {TOP_N_RANGE[1]:,}")
        if self.colour not in COLOURS:
            out.append(f"colour {self.colour!r} is not one of {', '.join(COLOURS)}")
        for name in ("run", "word", "x_axis", "y_axis"):
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
                out.append(f"{name.replace('_', ' ')} must be text of at most {MAX_TEXT} characters without "
                           "control characters")
        return out

    def to_query_params(self) -> dict[str, str]:
        """The fields that differ from the defaults, as strings, under their short keys."""
        default = ViewState()
        return {KEYS[f.name]: str(getattr(self, f.name)) for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> tuple[ViewState, list[str]]:
        """(state, problems) from a query-parameter mapping; never raises. Lists (repeated keys) use the last
        value. Unknown keys and invalid values are reported in `problems` and left at their defaults."""
        by_key = {v: k for k, v in KEYS.items()}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for key, raw in params.items():
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            field = by_key.get(str(key))
            if field is None:
                problems.append(f"The link holds an unknown setting {_clip(key)!r}; it was ignored.")
                continue
            if not isinstance(raw, str):
                raw = str(raw)
            value, problem = _convert(field, raw.strip() if field in ("method", "dims", "top_n", "colour") else raw)
            if problem:
                problems.append(f"The link's {problem}; the default ({getattr(cls(), field)!r}) is used instead.")
            else:
                values[field] = value
        state = cls(**values)
        if problems:
            logger.info("view link: %s", " ".join(problems))
        return state, problems

    def run_problem(self, available: Sequence[str]) -> str | None:
        """None when the link names no run or a loaded one; else a sentence for the UI."""
        if not self.run or self.run in available:
            return None
        names = ", ".join(repr(a) for a in list(available)[:5]) or "none yet"
        return (f"This link shows run {self.run!r}, which is not loaded in this session (loaded: {names}). "
                "Train it or load its vectors, then open the link again.")

    def replace(self, **changes: Any) -> ViewState:
        return dataclasses.replace(self, **changes)


def _clip(text: object, n: int = 40) -> str:
    s = str(text)
    return s if len(s) <= n else s[:n] + "..."


def _convert(field: str, raw: str) -> tuple[Any, str | None]:
    """(value, None) or (None, problem sentence) for one query-parameter string."""
    if field in ("dims", "top_n"):
        if not raw.isdigit() or len(raw) > 9:
            return None, f"{field.replace('_', '-')} {_clip(raw)!r} is not a whole number"
        value: Any = int(raw)
    else:
        value = raw.lower() if field in ("method", "colour") else raw
    problems = ViewState(**{field: value}).validate()
    return (None, problems[0]) if problems else (value, None)
