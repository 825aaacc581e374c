"""word2vec explorer — train word2vec on your own text in the browser and explore the embeddings.

    make run        # or: streamlit run app.py

Widgets and wiring only: the tabs live in ui/ (one module per tab), the logic in trainer/ and explorer/.
Each session has one typed ui.state.SessionModel that every tab takes as an argument. The sidebar gathers
every training setting into one TrainConfig; training runs in a background TrainingJob whose JobView the
Train tab polls from an st.fragment. See docs/architecture.md for the data flow.
"""
from __future__ import annotations

import logging

import streamlit as st

from ui import compare_tab, data_tab, explore_features, explore_tab, export_tab, live_view, runtime, state, train_tab
from ui.common import TABS, start_warm_up
from ui.sidebar import render_sidebar

# An emoji, not a ":material/...:" icon: the page icon must not be fetched from a font server (offline use).
st.set_page_config(page_title="word2vec explorer", page_icon="🗺️", layout="wide")
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    runtime.install()  # Streamlit's per-rerun Keras clear_session/full GC would stall training (ui/runtime.py)
    start_warm_up()
    model = state.session()
    state.finalize_all(model)  # finished trainings become explorable vectors (and get selected)
    st.title("word2vec explorer")
    st.markdown("Teach a computer which words belong together: drop in some text, train **word2vec** on it, "
                "and explore the word map it learns. The Shakespeare sample is ready — open **Train** and press "
                "**Start training**.")
    badge = st.sidebar.container()  # filled last: a training may start during this run
    cfg, cfg_error = render_sidebar()
    if cfg is not None:
        model.last_config = cfg
    # Only the open tab does its work (on_change="rerun"); the Data tab's source picker always renders,
    # since the chosen text feeds the Train tab.
    explore_features.open_tab_for_link()  # a shared view link opens on the Explore tab
    tabs = dict(zip(TABS, st.tabs(list(TABS.values()), key="main_tab", on_change="rerun"), strict=True))
    is_open = {name: tab.open is not False for name, tab in tabs.items()}
    with tabs["data"]:
        data = data_tab.render(model, show_report=is_open["data"])
    if is_open["train"]:
        with tabs["train"]:
            train_tab.render(model, cfg, cfg_error, data)
    for name, module in (("explore", explore_tab), ("compare", compare_tab), ("export", export_tab)):
        if is_open[name]:
            with tabs[name]:
                module.render(model)
    with badge:
        live_view.status_badge(model, train_tab_open=is_open["train"])  # follows a training from every tab


main()
