"""Widgets several tabs draw the same way: the run picker, neighbour tables and word-error sentences.

    run = pick_run(model, "explore_run", "Vectors to explore")    # a select box over the usable runs
    show_neighbours(vec.most_similar("king"), vec, key="t")        # a ranked table with similarity bars
    st.warning(word_error(exc))                                    # 'kinng' is not in ... Try 'king'.
"""
from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from explorer import UnknownWordError, Vectors

from .common import md, sentence
from .state import Run, SessionModel

logger = logging.getLogger(__name__)


def pick_run(model: SessionModel, key: str, label: str, help: str | None = None, default: int = -1) -> Run | None:
    """A select box over the usable runs (default: the newest); None when there are none.

    The options are the runs' labels (stable once a run is usable), so a partial run reads as such."""
    usable = model.usable_runs()
    if not usable:
        return None
    by_label = {r.label: r for r in usable}
    if st.session_state.get(key) not in by_label:
        st.session_state[key] = usable[default].label
    return by_label[st.selectbox(label, list(by_label), key=key, help=help)]


def word_error(e: Exception) -> str:
    if isinstance(e, UnknownWordError):
        tip = f" Try {', '.join(md(repr(s)) for s in e.suggestions[:3])}." if e.suggestions else \
            " Pick a word from the map or from 'Top words' on the Data tab."
        return f"'{md(e.word)}' is not in this model's vocabulary.{tip}"
    return sentence(e)


def neighbour_table(rows: list[tuple[str, float]], vec: Vectors) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["word", "similarity"])
    df.insert(0, "rank", range(1, len(df) + 1))
    if vec.counts is not None:
        df["count"] = [vec.count(w) for w, _ in rows]
    return df


def show_neighbours(rows: list[tuple[str, float]], vec: Vectors, key: str, height: int | str = "auto") -> None:
    st.dataframe(neighbour_table(rows, vec), hide_index=True, width="stretch", key=key, height=height,
                 column_config={"similarity": st.column_config.ProgressColumn(
                     "similarity", help="Cosine similarity: 1 = same direction, 0 = unrelated.", format="%.3f",
                     min_value=-1.0, max_value=1.0)})
