"""Explore tab extras: map selections, formula axes and shareable views (the view in the page URL).

    open_tab_for_link()                       # app.py, before st.tabs: a shared link opens on Explore
    read_link(model)                          # once per session, before the Explore widgets: the URL's view
    take_selection(model, event)              # the map's on_select: a box/lasso event becomes the selection
    selection_colours(model)                  # words to colour on the map, or None
    render_selection(model, vec, dims)        # table with counts, CSV download, colour toggle, Clear
    render_formula_axes(vec, words, focus)    # two formulas -> a scatter on those axes, unplaced words listed
    write_link(model, view)                   # after rendering: the current view into st.query_params

The selection and the link bookkeeping live in the typed ui.state.ExploreExtras; the logic is in explorer/
(selection.py, formula_axes.py, view_state.py). A link is applied once its run is loaded; until then it stays
pending (and the URL is left alone, so a reload still carries it).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from explorer import Vectors
from explorer.figures_compare import formula_figure
from explorer.formula_axes import FormulaError, project_formula
from explorer.selection import Selection, selection_from_event
from explorer.view_state import KEYS, ViewState

from . import state
from .common import md, sentence

logger = logging.getLogger(__name__)

MAP_COLOURS = ("frequency", "cluster")  # what the map's 'Colour by' control offers
# ViewState field -> the Explore widget it seeds
WIDGET_OF = {"method": "map_method", "dims": "map_dims", "top_n": "map_words", "colour": "map_color",
             "word": "explore_word", "x_axis": "explore_axis_x", "y_axis": "explore_axis_y"}


# ------------------------------------------------------------------ shareable views
def read_link(model: state.SessionModel) -> None:
    """Read the page URL's view once per session; bad values become warnings, the view waits for its run."""
    extras = model.extras
    if not extras.link_read:
        extras.link_read = True
        params = st.query_params.to_dict()
        if params:
            view, problems = ViewState.from_query_params(params)
            for p in problems:
                st.warning(md(p), icon=":material/link_off:")
            by_key = {v: k for k, v in KEYS.items()}
            fields = tuple(by_key[k] for k in params if k in by_key and getattr(view, by_key[k]) != getattr(
                ViewState(), by_key[k]))
            if fields:
                extras.pending_link, extras.pending_fields = view, fields
                logger.info("view link read: %s", view)
    apply_link(model)


def open_tab_for_link() -> None:
    """On a session's first run, a link that carries a view opens the Explore tab (call before st.tabs)."""
    ss = st.session_state
    if "main_tab" not in ss and any(k in KEYS.values() for k in st.query_params):
        from .common import TABS

        ss["main_tab"] = TABS["explore"]


def apply_link(model: state.SessionModel) -> None:
    """Seed the Explore widgets from a pending link once its run is loaded (say why not, otherwise)."""
    extras = model.extras
    view = extras.pending_link
    if view is None:
        return
    usable = [r.name for r in model.usable_runs()]
    problem = view.run_problem(usable)
    if problem:
        st.info(md(problem), icon=":material/link:")
        return
    if not usable:
        return  # a link without a run name waits for any run
    ss = st.session_state
    target = view.run or usable[-1]
    ss["explore_run"] = model.runs[target].label
    model.explore = state.ExploreView(run_name=target)  # keep the link's word count (no reset for a "new" run)
    for name in extras.pending_fields:
        key = WIDGET_OF.get(name)
        value = getattr(view, name)
        if key is None or (name == "colour" and value not in MAP_COLOURS):
            continue
        ss[key] = value
    extras.pending_link, extras.pending_fields = None, ()
    logger.info("view link applied to run %r", target)


def write_link(model: state.SessionModel, view: ViewState) -> None:
    """Put the shown view into the page URL (left alone while a link is still waiting for its run)."""
    if model.extras.pending_link is not None:
        return
    params = view.to_query_params()
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


# ------------------------------------------------------------------ selections
def _signature(sel: dict) -> str:
    return repr((sel.get("box"), sel.get("lasso"), [p.get("customdata") for p in sel.get("points", [])]))


def is_area_selection(event) -> bool:
    """True for a box or lasso selection (a click selects one point and searches its word instead)."""
    sel = (event or {}).get("selection", {})
    return bool(sel.get("box") or sel.get("lasso") or len(sel.get("points", [])) > 1)


def take_selection(model: state.SessionModel, event) -> None:
    """A new box/lasso event becomes the session's selection; the same event again (a rerun) changes nothing."""
    sel = (event or {}).get("selection", {})
    sig = _signature(sel)
    if sig == model.extras.selection_event:
        return
    model.extras.selection_event = sig
    model.extras.selection = selection_from_event(event)
    logger.info("map selection: %d word(s)", len(model.extras.selection))


def _clear(model: state.SessionModel) -> None:
    model.extras.selection = Selection.empty()
    st.session_state["explore_sel_colour"] = False


def selection_colours(model: state.SessionModel) -> Sequence[str] | None:
    """The selected words when 'Colour by selection' is on (None: colour as chosen)."""
    sel = model.extras.selection
    return sel.words if sel and st.session_state.get("explore_sel_colour") else None


def render_selection(model: state.SessionModel, vec: Vectors, dims: int) -> None:
    sel = model.extras.selection
    if not sel:
        st.caption("Select words: pick Box or Lasso select in the map's toolbar, then drag on the map."
                   if dims == 2 else "3D maps have no box or lasso selection: switch *View* to 2D to select words.")
        return
    with st.container(border=True, key="explore_selection"):
        skipped = f" ({sel.skipped} point(s) without a word were left out)" if sel.skipped else ""
        st.markdown(f"**Selection: {len(sel):,} words**{skipped}")
        c = st.columns([3, 2])
        c[0].dataframe(sel.table(vec), hide_index=True, width="stretch", height=240, key="explore_sel_table")
        with c[1]:
            st.download_button("Download the selection (CSV)", sel.csv(vec), file_name="selection.csv",
                               mime="text/csv", key="explore_sel_download", icon=":material/download:")
            st.checkbox("Colour by selection", key="explore_sel_colour",
                        help="Selected words in colour, every other word grey.")
            st.button("Clear selection", key="explore_sel_clear", on_click=_clear, args=(model,),
                      icon=":material/close:")


# ------------------------------------------------------------------ formula axes
def render_formula_axes(vec: Vectors, words: Sequence[str], focus: str | None) -> tuple[str, str]:
    """Two formula inputs; with both set, the mapped words on those axes. Returns the typed (x, y)."""
    st.markdown("**Formula axes**", help="Place every mapped word on two directions you write yourself: "
                "x = woman − man puts words by how much more 'woman' than 'man' they are.")
    c = st.columns(2)
    x = c[0].text_input("x axis", key="explore_axis_x", placeholder="woman - man",
                        help="Words joined by + and −, or a single word.")
    y = c[1].text_input("y axis", key="explore_axis_y", placeholder="rich - poor")
    if not (x.strip() and y.strip()):
        st.caption("Type a formula for both axes, e.g. x = *woman - man*, y = *rich - poor*.")
        return x, y
    try:
        p = project_formula(vec, x, y, words=list(words))
    except FormulaError as e:
        st.error(sentence(e), icon=":material/error:")
        return x, y
    st.plotly_chart(formula_figure(p, highlight=[focus] if focus else []), key="explore_formula_chart",
                    width="stretch")
    if p.unplaced:
        st.caption(f"{len(p.unplaced):,} word(s) could not be placed on these axes.")
        with st.expander(f"Words not placed ({len(p.unplaced):,})"):
            st.dataframe(pd.DataFrame(p.unplaced, columns=["word", "why"]), hide_index=True, width="stretch",
                         key="explore_unplaced_table")
    return x, y
