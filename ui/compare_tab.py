"""Compare tab: two runs side by side — their settings, and the same word's neighbours in each."""
from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from explorer import Vectors, neighbour_agreement, resolve_word

from . import state
from .common import empty_state, md
from .compare_aligned import render_aligned
from .sidebar import LABELS
from .widgets import neighbour_table, pick_run, word_error

logger = logging.getLogger(__name__)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_agreement(fp_a: str, fp_b: str, _a: Vectors, _b: Vectors) -> tuple[float, int]:
    """explorer.neighbour_agreement, cached by the two vector sets' fingerprints."""
    return neighbour_agreement(_a, _b)


def settings_rows(a: state.Run, b: state.Run) -> pd.DataFrame:
    rows = [{"setting": "text", "A": a.data_label, "B": b.data_label}]
    ca = a.config.to_dict() if a.config else {}
    cb = b.config.to_dict() if b.config else {}
    for field, label in LABELS.items():
        va, vb = ca.get(field, "–"), cb.get(field, "–")
        if va != vb:
            rows.append({"setting": label, "A": str(va), "B": str(vb)})
    for label, fn in (("words", len), ("dimensions", lambda v: v.dim)):
        rows.append({"setting": label, "A": str(fn(a.vectors)), "B": str(fn(b.vectors))})
    la = a.result.epoch_losses[-1] if a.result is not None and a.result.epoch_losses else None
    lb = b.result.epoch_losses[-1] if b.result is not None and b.result.epoch_losses else None
    rows.append({"setting": "final loss", "A": "–" if la is None else f"{la:.4f}",
                 "B": "–" if lb is None else f"{lb:.4f}"})
    return pd.DataFrame(rows)


def render(model: state.SessionModel) -> None:
    st.markdown("Put two runs side by side: which settings differ, and how a word's neighbours change.")
    usable = model.usable_runs()
    if len(usable) < 2:
        empty_state("Comparing needs two finished runs. Train another one on the **Train** tab — for example with a "
                    "different *Vector size* or *Context window* — or load a vectors file on the **Explore** tab.")
        return
    c = st.columns(2)
    with c[0]:
        a = pick_run(model, "compare_a", "Run A", default=-2)
    with c[1]:
        b = pick_run(model, "compare_b", "Run B")
    if a.name == b.name:
        st.info("Both sides show the same run; pick a different one for A or B.")
    with st.expander("What differs", expanded=True, icon=":material/difference:"):
        st.dataframe(settings_rows(a, b), hide_index=True, width="stretch", key="compare_settings")
        share, used = cached_agreement(a.vectors.fingerprint, b.vectors.fingerprint, a.vectors, b.vectors)
        if used:
            st.metric("Neighbour agreement", f"{share:.0%}",
                      help=f"On average, this share of the 10 nearest words is the same in both runs "
                           f"(over the {used} most frequent words both know). 100% = identical neighbourhoods.")
    render_aligned(a, b)
    c = st.columns([3, 1])
    word = c[0].text_input("Word to compare", key="compare_word", placeholder="e.g. king",
                           help="Its nearest words in run A and in run B; words found in both are marked.")
    topn = c[1].number_input("Neighbours", 1, 100, key="compare_topn")
    if not word.strip():
        empty_state("Type a word to see its neighbours in both runs.")
        return
    results = {}
    for side, run in (("A", a), ("B", b)):
        try:
            w = resolve_word(run.vectors, word)
            results[side] = (w, run.vectors.most_similar(w, topn=int(topn)))
        except (KeyError, ValueError) as e:
            results[side] = (None, word_error(e))
    found = [set(x for x, _ in r[1]) for r in results.values() if r[0] is not None]
    common = set.intersection(*found) if len(found) == 2 else set()
    if len(found) == 2:
        st.metric("Neighbours in common", f"{len(common)} of {int(topn)}")
    cols = st.columns(2)
    for col, (side, run) in zip(cols, (("A", a), ("B", b))):
        with col:
            st.markdown(f"**{side}: {md(run.label)}**")
            w, rows = results[side]
            if w is None:
                st.warning(rows)  # word_error() escapes the word
                continue
            df = neighbour_table(rows, run.vectors)
            df["in both"] = ["✓" if x in common else "" for x in df["word"]]
            st.dataframe(df, hide_index=True, width="stretch", key=f"compare_table_{side}",
                         column_config={"similarity": st.column_config.ProgressColumn(
                             "similarity", format="%.3f", min_value=-1.0, max_value=1.0)})
