"""Export tab: download buttons for the vectors (Projector TSV, word2vec), a run bundle, and the CSVs of what
Explore shows (read from the session model's ExploreView). Files are generated only when their button is
pressed (deferred data); the builders live in explorer.exports."""
from __future__ import annotations

import logging
import re

import streamlit as st

from explorer import exports as ex

from . import state
from .common import empty_state, human_bytes, md
from .widgets import pick_run

NEIGHBOURS_PER_WORD = 10  # rows per word in the top-words neighbour table
MAX_TABLE_WORDS = 20_000  # the top-words table is built in the request: keep it to seconds
DEFAULT_TABLE_WORDS = 1000
TSV_BYTES_PER_NUMBER = 10  # for the size estimate: about '-0.123456\t'

logger = logging.getLogger(__name__)


def slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "run"


def _row(label: str, note: str):
    """A row: what the file is (left) and its download button(s) (returned column, right)."""
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown(f"**{label}**  \n{note}")
    return right


def _download(col, label: str, data, file_name: str, mime: str, key: str, **kw) -> None:
    col.download_button(label, data, file_name, mime, key=key, on_click="ignore",
                        icon=kw.pop("icon", ":material/download:"), width="stretch", **kw)


def render(model: state.SessionModel) -> None:
    st.markdown("Take the vectors with you: for the TensorFlow Embedding Projector, for gensim and other word2vec "
                "tools, or as CSV tables.")
    run = pick_run(model, "export_run", "Run to export")
    if run is None:
        empty_state("Nothing to export yet: train a model on the **Train** tab or load vectors on the **Explore** tab.")
        return
    vec, base = run.vectors, slug(run.name)
    if run.partial:
        st.warning(f"**{md(run.name)}** was stopped early: these files hold a partial model.",
                   icon=":material/pause_circle:")
    tsv = "text/tab-separated-values"
    st.subheader("Vectors")
    size = human_bytes(len(vec) * vec.dim * TSV_BYTES_PER_NUMBER)
    col = _row("Embedding Projector", f"vectors.tsv + metadata.tsv (about {size}); "
               "open [projector.tensorflow.org](https://projector.tensorflow.org) → *Load* and pick both files.")
    _download(col, "vectors.tsv", lambda: ex.vectors_tsv(vec), f"{base}-vectors.tsv", tsv, "export_vectors_tsv")
    _download(col, "metadata.tsv", lambda: ex.metadata_tsv(vec), f"{base}-metadata.tsv", tsv, "export_metadata_tsv")
    col = _row("word2vec format", "Text (readable; gensim's `load_word2vec_format`) or binary (smaller).")
    _download(col, "word2vec text (.txt)", lambda: ex.word2vec_text(vec), f"{base}-word2vec.txt", "text/plain",
              "export_word2vec")
    _download(col, "word2vec binary (.bin)", lambda: ex.word2vec_binary(vec), f"{base}-word2vec.bin",
              "application/octet-stream", "export_word2vec_bin")
    col = _row("Run bundle (.zip)", "Everything in one file: vectors, vocabulary with counts, settings and loss "
               "history (reload with `RunResult.load`), plus the files above." if run.result is not None else
               "The vectors in every format above (a loaded file has no training history).")
    _download(col, "Run bundle", lambda: ex.bundle_zip(vec, run.result, model.session_dir), f"{base}.zip",
              "application/zip", "export_bundle", icon=":material/folder_zip:")

    st.subheader("Tables")
    shown = model.explore if model.explore.run_name == run.name else state.ExploreView()
    m = shown.map_result
    if m is not None and m.source_name == vec.name:
        col = _row("Map coordinates (CSV)",
                   f"{md(m.note)}: word, coordinates, cluster, count — one row per mapped word.")
        _download(col, "Map coordinates", lambda: ex.map_csv(m, shown.clusters),
                  f"{base}-map-{m.method}-{m.dims}d.csv", "text/csv", "export_map_csv")
    else:
        st.caption("**Map coordinates:** open this run on the **Explore** tab first; the map drawn there is "
                   "what gets exported.")
    if shown.query:
        focus, topn = shown.query, shown.topn
        col = _row(f"Neighbours of “{md(focus)}” (CSV)", f"The {topn} nearest words searched on the Explore tab.")
        _download(col, "Neighbour table", lambda: ex.neighbours_csv(vec.most_similar(focus, topn=topn), query=focus),
                  f"{base}-neighbours-{slug(focus)}.csv", "text/csv", "export_neighbours_csv")
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    n = len(vec)
    if n > NEIGHBOURS_PER_WORD:
        hi = min(n, MAX_TABLE_WORDS)
        if not NEIGHBOURS_PER_WORD <= st.session_state.get("export_nb_words", 0) <= hi:
            st.session_state["export_nb_words"] = min(DEFAULT_TABLE_WORDS, hi)
        n = left.number_input("Neighbour table of the most frequent words: how many words", NEIGHBOURS_PER_WORD, hi,
                              step=100, key="export_nb_words",
                              help=f"The {NEIGHBOURS_PER_WORD} nearest words of each of these words, one row per pair.")
    _download(right, "Neighbours of the top words", lambda: ex.all_neighbours_csv(vec, int(n), NEIGHBOURS_PER_WORD),
              f"{base}-neighbours-top{int(n)}.csv", "text/csv", "export_all_neighbours_csv")
