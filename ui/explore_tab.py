"""Explore tab: the word map (UMAP/PCA/t-SNE, 2D/3D), word search with neighbours (typed or clicked),
analogies, similarity, odd-one-out, loading pretrained vectors, and an optional quality check."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer import (
    METHOD_LIMITS,
    UnknownWordError,
    Vectors,
    VectorsFormatError,
    compute_map,
    evaluate_analogies,
    evaluate_similarity,
    kmeans_clusters,
    load_vectors,
    map_figure,
    neighbours_figure,
)

from . import state
from .common import empty_state, md, sentence, tidy_map, wait_for_warm_up

METHODS = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
MAX_MAP_WORDS = 100_000  # a browser draws this many WebGL points comfortably
LOAD_FORMATS = {"auto": "Detect automatically", "word2vec": "word2vec (text or binary)", "glove": "GloVe text",
                "projector": "Embedding Projector vectors.tsv"}


# ------------------------------------------------------------------ helpers (also used by Compare and Export)
def pick_run(key: str, label: str, help: str | None = None, default: int = -1) -> state.Run | None:
    """A select box over the usable runs (default: the newest); None when there are none.

    The options are the runs' labels (stable once a run is usable), so a partial run reads as such."""
    usable = state.usable_runs()
    if not usable:
        return None
    by_label = {r.label: r for r in usable}
    if st.session_state.get(key) not in by_label:
        st.session_state[key] = usable[default].label
    run = by_label[st.selectbox(label, list(by_label), key=key, help=help)]
    st.session_state[f"{key}_name"] = run.name  # plain state for other tabs (not a widget key)
    return run


def resolve(vec: Vectors, word: str) -> str:
    """The vocabulary spelling of a typed word (tries lower case); UnknownWordError when absent."""
    w = word.strip()
    if w in vec:
        return w
    if w.lower() in vec:
        return w.lower()
    vec.index_of(w)  # raises UnknownWordError with suggestions
    return w


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


# ------------------------------------------------------------------ loading vectors from files
def _load_clicked() -> None:
    """on_click of 'Load vectors' (runs before the script, so it may select the new run)."""
    ss = st.session_state
    up, meta = ss.get("explore_load_file"), ss.get("explore_load_meta")
    if up is None:
        ss["explore_load_msg"] = ("error", "Choose a vectors file first.")
        return
    limit = int(ss.get("explore_load_limit") or 0) or None
    try:
        vec = load_vectors(up.getvalue(), name=up.name, format=ss.get("explore_load_format", "auto"),
                           metadata=meta.getvalue() if meta is not None else None,
                           metadata_name=meta.name if meta is not None else None, limit=limit)
    except (VectorsFormatError, ValueError, TypeError, UnicodeDecodeError) as e:
        ss["explore_load_msg"] = ("error", f"Could not load {md(up.name)}: {sentence(e)} Check the format "
                                           "(word2vec, GloVe or Projector TSV), or read fewer words.")
        return
    name = state.unique_name(up.name.rsplit(".", 1)[0])
    state.add_run(state.Run(name=name, data_label=up.name, vectors=vec))
    ss["explore_load_msg"] = ("success", f"Loaded {len(vec):,} words × {vec.dim} dimensions as **{md(name)}**.")


def render_loader() -> None:
    with st.expander("Load word vectors from a file (explore without training)",
                     expanded=not state.usable_runs(), icon=":material/upload_file:"):
        st.caption(f"word2vec text or binary, GloVe, or an Embedding Projector vectors.tsv (with its metadata.tsv "
                   f"for the words) — up to {st.get_option('server.maxUploadSize')} MB.")
        st.file_uploader("Vectors file", type=["txt", "vec", "bin", "tsv"], key="explore_load_file")
        c = st.columns(3)
        c[0].file_uploader("metadata.tsv (Projector only)", type=["tsv", "txt"], key="explore_load_meta",
                           help="The words, one per line (or with a header and a count column).")
        c[1].selectbox("Format", list(LOAD_FORMATS), format_func=LOAD_FORMATS.get, key="explore_load_format")
        c[2].number_input("Read only the first N words", 0, 10_000_000, step=10_000, key="explore_load_limit",
                          help="Big files: read only the most frequent N words (0 reads all, up to 1 million).")
        st.button("Load vectors", key="explore_load_btn", on_click=_load_clicked, icon=":material/upload:")
        msg = st.session_state.pop("explore_load_msg", None)
        if msg:
            (st.error if msg[0] == "error" else st.success)(msg[1])


# ------------------------------------------------------------------ the map
def _map_clicked() -> None:
    """on_select of the map: the clicked point's word becomes the searched word."""
    ev = st.session_state.get("explore_map")
    m = st.session_state.get("explore_map_result")
    points = (ev or {}).get("selection", {}).get("points", []) if ev else []
    if not points or m is None or m.dims != 2:
        return
    p = points[0]
    word = p.get("customdata")  # the map traces carry the word (x/y may be clipped to the view's edge)
    word = word[0] if isinstance(word, list) and word else word
    if isinstance(word, str) and m.index_of(word) is not None:
        st.session_state["explore_word"] = word
        return
    if p.get("x") is None or p.get("y") is None:
        return
    d = ((np.asarray(m.coords) - np.array([p["x"], p["y"]], dtype=np.float32)) ** 2).sum(axis=1)
    st.session_state["explore_word"] = m.words[int(np.argmin(d))]


def map_settings(vec: Vectors) -> dict:
    """Widgets for the map; returns the settings (also used by the Export tab's coordinates CSV)."""
    c = st.columns([2, 1, 2, 3])
    method = c[0].segmented_control("Map method", list(METHODS), format_func=METHODS.get, key="map_method",
                                    help="UMAP keeps neighbourhoods (best overall); PCA is fast and linear; t-SNE "
                                         "shows tight local groups.") or "umap"
    dims = c[1].segmented_control("View", [2, 3], format_func=lambda d: f"{d}D", key="map_dims") or 2
    color = c[2].segmented_control("Colour by", ["frequency", "cluster"], key="map_color",
                                   format_func=str.capitalize,
                                   help="Frequency: how common each word is. Cluster: groups found by k-means "
                                        "in the full vectors.") or "frequency"
    top = min(len(vec), METHOD_LIMITS[method], MAX_MAP_WORDS)
    lo = min(10, top)
    current = st.session_state.get("map_words")
    if current is None or not lo <= current <= top:
        st.session_state["map_words"] = min(2000, top)
    if top > lo:
        n = c[3].slider("Words on the map", lo, top, key="map_words", step=1,
                        help="The most frequent words are mapped; every one of them is drawn.")
    else:
        n = top
    settings = {"method": method, "dims": int(dims), "color": color, "n_words": int(n), "k": 8,
                "n_neighbors": 15, "min_dist": 0.1, "seed": 0}
    with st.expander("Map options", icon=":material/tune:"):
        o = st.columns(4)
        settings["k"] = o[0].number_input("Clusters", 2, 16, key="map_k", help="Groups for 'Colour by cluster'.")
        settings["n_neighbors"] = o[1].number_input("UMAP neighbours", 2, 200, key="map_umap_neighbors",
                                                    help="Small: fine local detail; large: more global shape.")
        settings["min_dist"] = o[2].number_input("UMAP min. distance", 0.0, 1.0, step=0.05,
                                                 key="map_umap_min_dist",
                                                 help="How tightly UMAP may pack points together.")
        settings["seed"] = o[3].number_input("Seed", 0, 10_000, key="map_seed",
                                             help="The same seed redraws the same map.")
    return settings


def build_map(vec: Vectors, s: dict):
    """compute_map with a progress bar (results are cached by the explorer: fingerprint + parameters)."""
    wait_for_warm_up()
    bar = st.progress(0.0, text=f"Computing the {METHODS[s['method']]} map…")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        return compute_map(vec, s["method"], n_words=s["n_words"], dims=s["dims"], seed=int(s["seed"]),
                           n_neighbors=int(s["n_neighbors"]), min_dist=float(s["min_dist"]), progress=progress)
    finally:
        bar.empty()


def clusters_for(vec: Vectors, m, s: dict):
    return kmeans_clusters(vec, n_words=m.n, k=int(s["k"])) if s["color"] == "cluster" else None


# ------------------------------------------------------------------ word tools
def render_analogy(vec: Vectors) -> None:
    st.markdown("**Analogy** · a − b + c ≈ ?", help="Vector arithmetic: *king − man + woman* lands near *queen* "
                "when the text is large enough.")
    c = st.columns(3)
    a = c[0].text_input("a", key="explore_an_a", placeholder="king")
    b = c[1].text_input("− b", key="explore_an_b", placeholder="man")
    cc = c[2].text_input("+ c", key="explore_an_c", placeholder="woman")
    if not (a.strip() and b.strip() and cc.strip()):
        st.caption("Fill in all three words.")
        return
    try:
        rows = vec.analogy(resolve(vec, a), resolve(vec, b), resolve(vec, cc), topn=5)
    except (KeyError, ValueError) as e:
        st.warning(word_error(e))
        return
    show_neighbours(rows, vec, key="explore_analogy_table")


def render_similarity(vec: Vectors) -> None:
    st.markdown("**Similarity of two words**", help="Cosine similarity of their vectors: 1 = same direction, "
                "0 = unrelated, negative = opposite.")
    c = st.columns(2)
    w1 = c[0].text_input("First word", key="explore_sim_a", placeholder="love")
    w2 = c[1].text_input("Second word", key="explore_sim_b", placeholder="hate")
    if not (w1.strip() and w2.strip()):
        st.caption("Type two words.")
        return
    try:
        sim = vec.similarity(resolve(vec, w1), resolve(vec, w2))
    except (KeyError, ValueError) as e:
        st.warning(word_error(e))
        return
    st.metric("Cosine similarity", f"{sim:.3f}")
    st.progress(min(max((sim + 1) / 2, 0.0), 1.0), text="−1 (opposite) … 0 (unrelated) … 1 (same)")


def render_odd_one_out(vec: Vectors) -> None:
    st.markdown("**Odd one out**", help="The word that fits least with the others (furthest from their average).")
    text = st.text_input("Three or more words", key="explore_odd", placeholder="king queen prince sword")
    words = [w for w in text.replace(",", " ").split() if w]
    if len(words) < 3:
        st.caption("Type at least three words separated by spaces.")
        return
    try:
        odd = vec.doesnt_match([resolve(vec, w) for w in words])
    except (KeyError, ValueError) as e:
        st.warning(word_error(e))
        return
    st.metric("Doesn't fit", odd)  # a metric value is plain text


def render_quality(run: state.Run) -> None:
    vec = run.vectors
    with st.expander("Quality check with your own test file (optional)", icon=":material/fact_check:"):
        st.caption("Analogy file: ': section' lines, then 'a b c d' per line (e.g. word2vec's questions-words.txt). "
                   "Word-pair file: 'word1 word2 score' per line (e.g. WordSim-353).")
        kind = st.radio("File type", ["analogies", "pairs"], key="explore_eval_kind", horizontal=True,
                        format_func={"analogies": "Analogies", "pairs": "Word pairs with scores"}.get)
        up = st.file_uploader("Test file", type=["txt", "tsv", "csv"], key="explore_eval_file")
        if st.button("Run the check", key="explore_eval_btn", disabled=up is None, icon=":material/play_arrow:"):
            try:
                with st.spinner("Scoring…"):
                    if kind == "analogies":
                        rep = evaluate_analogies(vec, up.getvalue(), name=up.name)
                    else:
                        rep = evaluate_similarity(vec, up.getvalue(), name=up.name)
                st.session_state["explore_eval_result"] = (run.name, up.name, rep)
            except (ValueError, KeyError, UnicodeDecodeError) as e:
                st.error(f"{sentence(e)} Check that the file matches the chosen type.")
        got = st.session_state.get("explore_eval_result")
        if got and got[0] == run.name:
            rep = got[2]
            if hasattr(rep, "accuracy"):
                c = st.columns(3)
                c[0].metric("Accuracy", "–" if rep.answered == 0 else f"{rep.accuracy:.1%}",
                            help="Share of answerable questions whose best answer is right.")
                c[1].metric("Answered", f"{rep.answered:,} of {rep.questions:,}")
                c[2].metric("Unknown words", f"{rep.oov_rate:.0%}", help="Questions skipped: a word is missing.")
                st.dataframe(pd.DataFrame(rep.rows()), hide_index=True, width="stretch", key="explore_eval_table")
            else:
                c = st.columns(3)
                c[0].metric("Spearman", f"{rep.spearman:.3f}", help="Rank agreement with the human scores (1 best).")
                c[1].metric("Pairs used", f"{rep.used:,} of {rep.pairs:,}")
                c[2].metric("Unknown words", f"{rep.oov_rate:.0%}")


# ------------------------------------------------------------------ the tab
def render() -> None:
    st.markdown("Look at what the model learned: a map of the words, their nearest neighbours, and word arithmetic.")
    render_loader()
    run = pick_run("explore_run", "Vectors to explore",
                   help="Any finished run of this session, or vectors loaded from a file.")
    if run is None:
        empty_state("Nothing to explore yet: train a model on the **Train** tab (the sample is ready to go), or "
                    "load a vectors file above.")
        return
    vec = run.vectors
    if run.partial:
        st.warning(f"**{md(run.name)}** was stopped early ({run.result.epochs_completed:.1f} of {run.config.epochs} "
                   "epochs): this is a partial model.", icon=":material/pause_circle:")
    st.caption(f"{len(vec):,} words × {vec.dim} dimensions · from {md(run.data_label)}")

    s = map_settings(vec)
    c = st.columns([3, 1])
    query = c[0].text_input("Search a word", key="explore_word", placeholder="e.g. king — or click a point on the map",
                            help="Highlights the word and its nearest neighbours on the map.")
    topn = c[1].number_input("Neighbours", 1, 100, key="explore_topn")
    hits, focus = [], None
    if query.strip():
        try:
            focus = resolve(vec, query)
            hits = vec.most_similar(focus, topn=int(topn))
        except (KeyError, ValueError) as e:
            st.warning(word_error(e))
            focus = None
    try:
        m = build_map(vec, s)
        clusters = clusters_for(vec, m, s)
    except (ValueError, MemoryError, RuntimeError) as e:
        st.error(f"The map could not be drawn: {sentence(e)} Try PCA or fewer words.", icon=":material/error:")
        return
    st.session_state["explore_map_result"] = m
    fig = tidy_map(map_figure(m, color_by=s["color"], clusters=clusters, query=focus, neighbours=hits or None,
                              n_labels=30, height=650))
    if m.dims == 2:
        st.plotly_chart(fig, key="explore_map", on_select=_map_clicked, selection_mode="points", width="stretch")
        st.caption("Click a point to see its neighbours. Drag to zoom, double-click to reset.")
    else:
        st.plotly_chart(fig, key="explore_map_3d", width="stretch")
        st.caption("Drag to rotate, scroll to zoom. (Clicking points works in the 2D view.)")
    if focus:
        st.subheader(f"Nearest words to “{md(focus)}”")
        left, right = st.columns([2, 3])
        with left:
            show_neighbours(hits, vec, key="explore_neighbours_table")
        with right:
            st.plotly_chart(neighbours_figure(hits, focus, height=max(250, 26 * len(hits) + 120)),
                            key="explore_neighbours_chart", width="stretch")
    st.divider()
    cols = st.columns(3)
    with cols[0].container(border=True):
        render_analogy(vec)
    with cols[1].container(border=True):
        render_similarity(vec)
    with cols[2].container(border=True):
        render_odd_one_out(vec)
    render_quality(run)
