"""Compare tab, aligned map: run B rotated onto run A (orthogonal Procrustes), drawn in one map, and the words
that moved most.

    render_aligned(run_a, run_b)     # inside the Compare tab, after the two runs are picked

Alignments are kept per process in one explorer.cache.LRUCache (not st.cache_data, which would pickle the big
arrays), keyed on both runs' content fingerprints and the rare-word threshold; works across different dims and
with loaded pretrained vectors (explorer/alignment.py aligns in a shared PCA space then).
"""
from __future__ import annotations

import logging

import streamlit as st

from explorer.alignment import Alignment, AlignmentError, align_runs
from explorer.cache import LRUCache
from explorer.figures_compare import aligned_map_figure

from . import state
from .common import md, sentence

logger = logging.getLogger(__name__)

ALIGNMENTS_KEPT = 4
MOVED_ROWS = 30  # rows of the moved-most table
MAX_MIN_COUNT = 200


@st.cache_resource(show_spinner=False)
def _alignments() -> LRUCache:
    """The process's alignments: (fingerprint A, fingerprint B, min_count) -> Alignment."""
    return LRUCache(ALIGNMENTS_KEPT)


def cached_alignment(a: state.Run, b: state.Run, min_count: int) -> Alignment:
    """align_runs(a, b, min_count=...) once per content pair; AlignmentError when they cannot be aligned."""
    key = (a.vectors.fingerprint, b.vectors.fingerprint, int(min_count))
    al = _alignments().get(key)
    if al is None:
        with st.spinner("Aligning the two runs…"):
            al = align_runs(a.vectors, b.vectors, min_count=int(min_count))
        logger.info("aligned %r to %r: %d shared words in %.2f s", b.name, a.name, al.n, al.seconds)
        _alignments().put(key, al)
    return al


def render_aligned(a: state.Run, b: state.Run) -> None:
    """The aligned map and the moved-most table of run B against run A."""
    with st.expander("Aligned map: which words moved", expanded=True, icon=":material/compare_arrows:"):
        if a.name == b.name:
            st.caption("Pick two different runs to see which words moved.")
            return
        min_count = st.slider(
            "Rank only words seen at least this often in both runs", 0, MAX_MIN_COUNT, key="compare_min_count",
            help="Rare words move a lot between any two runs (their vectors are mostly noise), so they are listed "
                 "after the others. Every shared word still takes part in the alignment. Loaded vectors without "
                 "counts are not filtered.")
        try:
            al = cached_alignment(a, b, min_count)
        except AlignmentError as e:
            st.warning(f"{sentence(e)} Pick two runs that share more words.", icon=":material/warning:")
            return
        st.caption(md(al.describe()) + " Each line joins a word's place in A (grey) to its place in B (coloured by "
                   "how far it moved).")
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(aligned_map_figure(al), key="compare_aligned_map", width="stretch")
        with right:
            st.markdown("**Words that moved most**", help="Ranked by cosine distance after alignment (0 = same "
                        "direction, 2 = opposite); ties go to the word whose top-10 neighbours changed more.")
            st.dataframe(al.table(MOVED_ROWS), hide_index=True, width="stretch", key="compare_moved_table",
                         column_config={"cosine distance": st.column_config.ProgressColumn(
                             "cosine distance", format="%.3f", min_value=0.0, max_value=2.0)})
