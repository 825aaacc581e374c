"""Explore tab: the word map (UMAP/PCA/t-SNE, 2D/3D), word search with neighbours (typed or clicked),
analogies, similarity, odd-one-out, loading pretrained vectors, and an optional quality check."""
from __future__ import annotations

import functools
import logging

import pandas as pd
import streamlit as st

from explorer import (
    METHOD_LIMITS,
    Vectors,
    VectorsFormatError,
    compute_map,
    evaluate_analogies,
    evaluate_similarity,
    kmeans_clusters,
    load_vectors,
    map_figure,
    neighbours_figure,
    resolve_word,
)
from explorer.neighbours import all_but_the_top, mean_pair_cosine
from explorer.view_state import ViewState

from . import explore_features, state
from .common import empty_state, md, sentence, wait_for_warm_up
from .widgets import pick_run, show_neighbours, word_error

logger = logging.getLogger(__name__)

METHODS = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}
MAX_MAP_WORDS = 100_000  # a browser draws this many WebGL points comfortably
DEFAULT_MAP_WORDS = 2000  # words on a new run's map: readable, and a UMAP fit of a few seconds
MIN_MAP_WORDS = 10
MAP_HEIGHT = 650
LOAD_FORMATS = {"auto": "Detect automatically", "word2vec": "word2vec (text or binary)", "glove": "GloVe text",
                "projector": "Embedding Projector vectors.tsv"}


# ------------------------------------------------------------------ loading vectors from files
def _load_clicked(model: state.SessionModel) -> None:
    """on_click of 'Load vectors' (runs before the script, so it may select the new run)."""
    ss = st.session_state
    up, meta = ss.get("explore_load_file"), ss.get("explore_load_meta")
    if up is None:
        model.load_message = ("error", "Choose a vectors file first.")
        return
    limit = int(ss.get("explore_load_limit") or 0) or None
    try:
        vec = load_vectors(up.getvalue(), name=up.name, format=ss.get("explore_load_format", "auto"),
                           metadata=meta.getvalue() if meta is not None else None,
                           metadata_name=meta.name if meta is not None else None, limit=limit)
    except (VectorsFormatError, ValueError, TypeError, UnicodeDecodeError) as e:
        model.load_message = ("error", f"Could not load {md(up.name)}: {sentence(e)} Check the format "
                                       "(word2vec, GloVe or Projector TSV), or read fewer words.")
        return
    name = model.unique_name(up.name.rsplit(".", 1)[0])
    state.add_run(model, state.Run(name=name, data_label=up.name, vectors=vec))
    if vec.meta.get("words_missing"):
        model.load_message = ("warning", f"Loaded {len(vec):,} vectors × {vec.dim} dimensions as **{md(name)}**, "
                                         "but the words are missing: a vectors.tsv holds only numbers. They are "
                                         "numbered 0, 1, 2, … for now; load it again together with its "
                                         "metadata.tsv to see the words.")
    else:
        model.load_message = ("success", f"Loaded {len(vec):,} words × {vec.dim} dimensions as **{md(name)}**.")


def render_loader(model: state.SessionModel) -> None:
    with st.expander("Load word vectors from a file (explore without training)",
                     expanded=not model.usable_runs(), icon=":material/upload_file:"):
        st.caption(f"word2vec text or binary, GloVe, or an Embedding Projector vectors.tsv (with its metadata.tsv "
                   f"for the words) — up to {st.get_option('server.maxUploadSize')} MB.")
        st.file_uploader("Vectors file", type=["txt", "vec", "bin", "tsv"], key="explore_load_file")
        c = st.columns(3)
        c[0].file_uploader("metadata.tsv (Projector only)", type=["tsv", "txt"], key="explore_load_meta",
                           help="The words, one per line (or with a header and a count column).")
        c[1].selectbox("Format", list(LOAD_FORMATS), format_func=LOAD_FORMATS.get, key="explore_load_format")
        c[2].number_input("Read only the first N words", 0, 10_000_000, step=10_000, key="explore_load_limit",
                          help="Big files: read only the most frequent N words (0 reads all, up to 1 million).")
        st.button("Load vectors", key="explore_load_btn", on_click=_load_clicked, args=(model,),
                  icon=":material/upload:")
        msg, model.load_message = model.load_message, None
        if msg:
            {"error": st.error, "warning": st.warning}.get(msg[0], st.success)(msg[1])


# ------------------------------------------------------------------ the map
def _map_clicked(model: state.SessionModel) -> None:
    """on_select of the map: the clicked point's word (the figure's `customdata`) becomes the searched word;
    a box or lasso selects words instead (explore_features.take_selection)."""
    ev = st.session_state.get("explore_map") or {}
    if explore_features.is_area_selection(ev):
        explore_features.take_selection(model, ev)
        return
    points = ev.get("selection", {}).get("points", [])
    m = model.explore.map_result
    if not points or m is None:
        return
    word = points[0].get("customdata")
    if isinstance(word, (list, tuple)):
        word = word[0] if word else None
    if isinstance(word, str) and word in m.words:
        st.session_state["explore_word"] = word


def map_settings(model: state.SessionModel, run: state.Run) -> dict:
    """Widgets for the map; returns the settings."""
    vec = run.vectors
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
    lo = min(MIN_MAP_WORDS, top)
    current = st.session_state.get("map_words")
    # A new run starts at the default: a small run's maximum must not stick to a bigger run's slider.
    if current is None or not lo <= current <= top or model.explore.run_name != run.name:
        st.session_state["map_words"] = min(DEFAULT_MAP_WORDS, top)
    if top > lo:
        n = c[3].slider("Words on the map", lo, top, key="map_words", step=1,
                        help="The most frequent words are mapped; every one of them is drawn.")
    else:
        n = top
    settings = {"method": method, "dims": int(dims), "color": color, "n_words": int(n)}
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
        o = st.columns(4)
        settings["n_labels"] = o[0].number_input("Labelled words", 0, 200, key="map_labels",
                                                 help="How many of the most frequent words get a label (labels never "
                                                      "overlap in 2D; in 3D at most 40 are drawn).")
        settings["label_size"] = o[1].number_input("Label size", 8, 24, key="map_label_size",
                                                   help="Font size of the labels, in pixels.")
    return settings


def similarity_vectors(vec: Vectors) -> Vectors:
    """The vectors neighbours, analogies and similarities are computed on: raw, or centred on request."""
    centred = st.toggle(
        "Centred similarities", key="explore_centred",
        help="Word2vec vectors share a common direction, so raw cosines of a short training all look high "
             "(0.9+). Centring subtracts the mean vector and the top principal direction(s) "
             "(all-but-the-top, Mu & Viswanath 2018): the ranking of neighbours barely changes, the numbers "
             "spread out. Off: raw cosine similarity, as gensim reports it.")
    if not centred:
        return vec
    st.caption(f"Similarities below are on centred vectors (raw: the mean cosine of random word pairs is "
               f"{mean_pair_cosine(vec):.2f}).")
    return all_but_the_top(vec)


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
        rows = vec.analogy(resolve_word(vec, a), resolve_word(vec, b), resolve_word(vec, cc), topn=5)
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
        sim = vec.similarity(resolve_word(vec, w1), resolve_word(vec, w2))
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
        odd = vec.doesnt_match([resolve_word(vec, w) for w in words])
    except (KeyError, ValueError) as e:
        st.warning(word_error(e))
        return
    st.metric("Doesn't fit", odd)  # a metric value is plain text


def render_quality(model: state.SessionModel, run: state.Run) -> None:
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
                model.eval_result = (run.name, up.name, rep)
            except (ValueError, KeyError, UnicodeDecodeError) as e:
                model.eval_result = None  # never an old result under a new error
                st.error(f"{sentence(e)} Check that the file matches the chosen type.")
        got = model.eval_result
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
def render(model: state.SessionModel) -> None:
    st.markdown("Look at what the model learned: a map of the words, their nearest neighbours, and word arithmetic.")
    render_loader(model)
    explore_features.read_link(model)  # a shared link seeds the widgets below (once its run is loaded)
    run = pick_run(model, "explore_run", "Vectors to explore",
                   help="Any finished run of this session, or vectors loaded from a file.")
    if run is None:
        model.explore = state.ExploreView()
        empty_state("Nothing to explore yet: train a model on the **Train** tab (the sample is ready to go), or "
                    "load a vectors file above.")
        return
    vec = run.vectors
    if run.partial:
        st.warning(f"**{md(run.name)}** was stopped early ({run.result.epochs_completed:.1f} of {run.config.epochs} "
                   "epochs): this is a partial model.", icon=":material/pause_circle:")
    if vec.meta.get("words_missing"):
        st.warning("These vectors came without their words (no metadata.tsv): points are numbered instead of "
                   "named.", icon=":material/warning:")
    st.caption(f"{len(vec):,} words × {vec.dim} dimensions · from {md(run.data_label)}")
    sims = similarity_vectors(vec)

    s = map_settings(model, run)
    c = st.columns([3, 1])
    query = c[0].text_input("Search a word", key="explore_word", placeholder="e.g. king — or click a point on the map",
                            help="Highlights the word and its nearest neighbours on the map.")
    topn = int(c[1].number_input("Neighbours", 1, 100, key="explore_topn"))
    hits, focus = [], None
    if query.strip():
        try:
            focus = resolve_word(vec, query)
            hits = sims.most_similar(focus, topn=topn)
        except (KeyError, ValueError) as e:
            st.warning(word_error(e))
            focus = None
    try:
        m = build_map(vec, s)
        clusters = clusters_for(vec, m, s)
    except (ValueError, MemoryError, RuntimeError) as e:
        logger.warning("map failed for %r: %s", run.name, e)
        model.explore = state.ExploreView(run_name=run.name, query=focus, topn=topn)
        st.error(f"The map could not be drawn: {sentence(e)} Try PCA or fewer words.", icon=":material/error:")
        return
    model.explore = state.ExploreView(run_name=run.name, map_result=m, clusters=clusters, query=focus, topn=topn)
    chosen = explore_features.selection_colours(model)
    fig = map_figure(m, color_by="match" if chosen else s["color"], clusters=clusters, matches=chosen,
                     query=focus, neighbours=hits or None, n_labels=int(s["n_labels"]),
                     label_size=int(s["label_size"]), height=MAP_HEIGHT, legend_below=True)
    if m.dims == 2:
        st.plotly_chart(fig, key="explore_map", on_select=functools.partial(_map_clicked, model),
                        selection_mode=("points", "box", "lasso"), width="stretch")
        # Plotly's default drag (zoom) keeps a click a click; in "select" drag mode a click selects nothing.
        st.caption("Click a point to see its neighbours. To select words, pick *Box select* or *Lasso select* in "
                   "the map's toolbar and drag; double-click to reset the zoom.")
    else:
        st.plotly_chart(fig, key="explore_map_3d", width="stretch")
        st.caption("Drag to rotate, scroll to zoom. (Clicking points works in the 2D view.)")
    explore_features.render_selection(model, vec, m.dims)
    if focus:
        st.subheader(f"Nearest words to “{md(focus)}”")
        left, right = st.columns([2, 3])
        with left:
            show_neighbours(hits, vec, key="explore_neighbours_table")
        with right:
            st.plotly_chart(neighbours_figure(hits, focus, height=max(250, 26 * len(hits) + 120)),
                            key="explore_neighbours_chart", width="stretch")
    ax, ay = explore_features.render_formula_axes(vec, m.words, focus)
    explore_features.write_link(model, ViewState(
        run=run.name, method=s["method"], dims=s["dims"], top_n=s["n_words"], colour=s["color"],
        word=query.strip(), x_axis=ax.strip(), y_axis=ay.strip()))
    st.divider()
    cols = st.columns(3)
    with cols[0].container(border=True):
        render_analogy(sims)
    with cols[1].container(border=True):
        render_similarity(sims)
    with cols[2].container(border=True):
        render_odd_one_out(sims)
    render_quality(model, run)
