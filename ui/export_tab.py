"""Export tab: download buttons for the vectors (Projector TSV, word2vec), a run bundle, and the CSVs of what
Explore shows. Files are generated only when their button is pressed (deferred data)."""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from explorer import Vectors, map_csv, neighbours_csv
from trainer.result import projector_metadata_tsv, projector_vectors_tsv, word2vec_bytes

from . import state
from .common import empty_state, human_bytes, md
from .explore_tab import clusters_for, pick_run, resolve

BUNDLE_README = """word2vec explorer run bundle

run.json, vocab.json, counts.npy, vectors.npy   the run (load with trainer.RunResult.load(folder))
vectors.tsv, metadata.tsv                       Embedding Projector files (projector.tensorflow.org -> Load)
vectors.txt                                     word2vec text format (gensim KeyedVectors.load_word2vec_format)
"""


def slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "run"


def vectors_tsv(vec: Vectors) -> bytes:
    return projector_vectors_tsv(vec.matrix).encode("utf-8")


def metadata_tsv(vec: Vectors) -> bytes:
    return projector_metadata_tsv(list(vec.words), vec.counts).encode("utf-8")


def word2vec_text(vec: Vectors) -> bytes:
    return word2vec_bytes(list(vec.words), vec.matrix)


def word2vec_binary(vec: Vectors) -> bytes:
    return word2vec_bytes(list(vec.words), vec.matrix, binary=True)


def bundle_zip(run: state.Run, tmp_parent: str | None = None) -> bytes:
    """A zip of the run directory (trained runs) plus Projector and word2vec files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if run.result is not None:
            with tempfile.TemporaryDirectory(dir=tmp_parent) as tmp:
                for f in sorted(Path(run.result.save(tmp)).iterdir()):
                    zf.write(f, f.name)
        zf.writestr("vectors.tsv", vectors_tsv(run.vectors))
        zf.writestr("metadata.tsv", metadata_tsv(run.vectors))
        zf.writestr("vectors.txt", word2vec_text(run.vectors))
        zf.writestr("README.txt", BUNDLE_README)
    return buf.getvalue()


def all_neighbours_csv(vec: Vectors, n_words: int, k: int) -> str:
    """The k nearest words of each of the n most frequent words: rank,word,score,metric,query rows."""
    parts = []
    for i, w in enumerate(vec.words[:n_words]):
        text = neighbours_csv(vec.most_similar(w, topn=k), query=w)
        parts.append(text if i == 0 else text.split("\n", 1)[1])
    return "".join(parts)


def _row(label: str, note: str):
    """A row: what the file is (left) and its download button(s) (returned column, right)."""
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown(f"**{label}**  \n{note}")
    return right


def _download(col, label: str, data, file_name: str, mime: str, key: str, **kw) -> None:
    col.download_button(label, data, file_name, mime, key=key, on_click="ignore",
                        icon=kw.pop("icon", ":material/download:"), width="stretch", **kw)


def render() -> None:
    st.markdown("Take the vectors with you: for the TensorFlow Embedding Projector, for gensim and other word2vec "
                "tools, or as CSV tables.")
    run = pick_run("export_run", "Run to export")
    if run is None:
        empty_state("Nothing to export yet: train a model on the **Train** tab or load vectors on the **Explore** tab.")
        return
    vec, base, session_dir = run.vectors, slug(run.name), st.session_state["session_dir"]
    if run.partial:
        st.warning(f"**{md(run.name)}** was stopped early: these files hold a partial model.",
                   icon=":material/pause_circle:")
    tsv = "text/tab-separated-values"
    st.subheader("Vectors")
    col = _row("Embedding Projector", f"vectors.tsv + metadata.tsv (about {human_bytes(len(vec) * vec.dim * 10)}); "
               "open [projector.tensorflow.org](https://projector.tensorflow.org) → *Load* and pick both files.")
    _download(col, "vectors.tsv", lambda: vectors_tsv(vec), f"{base}-vectors.tsv", tsv, "export_vectors_tsv")
    _download(col, "metadata.tsv", lambda: metadata_tsv(vec), f"{base}-metadata.tsv", tsv, "export_metadata_tsv")
    col = _row("word2vec format", "Text (readable; gensim's `load_word2vec_format`) or binary (smaller).")
    _download(col, "word2vec text (.txt)", lambda: word2vec_text(vec), f"{base}-word2vec.txt", "text/plain",
              "export_word2vec")
    _download(col, "word2vec binary (.bin)", lambda: word2vec_binary(vec), f"{base}-word2vec.bin",
              "application/octet-stream", "export_word2vec_bin")
    col = _row("Run bundle (.zip)", "Everything in one file: vectors, vocabulary with counts, settings and loss "
               "history (reload with `RunResult.load`), plus the files above." if run.result is not None else
               "The vectors in every format above (a loaded file has no training history).")
    _download(col, "Run bundle", lambda: bundle_zip(run, session_dir), f"{base}.zip", "application/zip",
              "export_bundle", icon=":material/folder_zip:")

    st.subheader("Tables")
    m = st.session_state.get("explore_map_result")
    if m is not None and st.session_state.get("explore_run_name") == run.name and m.source_name == vec.name:
        settings = {"color": st.session_state.get("map_color", "frequency"), "k": st.session_state.get("map_k", 8)}
        col = _row("Map coordinates (CSV)",
                   f"{md(m.note)}: word, coordinates, cluster, count — one row per mapped word.")
        _download(col, "Map coordinates", lambda: map_csv(m, clusters_for(vec, m, settings)),
                  f"{base}-map-{m.method}-{m.dims}d.csv", "text/csv", "export_map_csv")
    else:
        st.caption("**Map coordinates:** open this run on the **Explore** tab first; the map drawn there is "
                   "what gets exported.")
    query = st.session_state.get("explore_word", "")
    focus = None
    if query.strip() and st.session_state.get("explore_run_name") == run.name:
        try:
            focus = resolve(vec, query)
        except KeyError:
            focus = None
    if focus:
        topn = int(st.session_state.get("explore_topn", 10))
        col = _row(f"Neighbours of “{md(focus)}” (CSV)", f"The {topn} nearest words searched on the Explore tab.")
        _download(col, "Neighbour table", lambda: neighbours_csv(vec.most_similar(focus, topn=topn), query=focus),
                  f"{base}-neighbours-{slug(focus)}.csv", "text/csv", "export_neighbours_csv")
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    n = len(vec)
    if n > 10:
        hi = min(n, 20_000)
        if not 10 <= st.session_state.get("export_nb_words", 0) <= hi:
            st.session_state["export_nb_words"] = min(1000, hi)
        n = left.number_input("Neighbour table of the most frequent words: how many words", 10, hi, step=100,
                              key="export_nb_words", help="The 10 nearest words of each of these words, one row "
                                                          "per pair.")
    _download(right, "Neighbours of the top words", lambda: all_neighbours_csv(vec, int(n), 10),
              f"{base}-neighbours-top{int(n)}.csv", "text/csv", "export_all_neighbours_csv")
