"""Probe words on the Train tab: pick up to 5 words before training, then watch their nearest neighbours
change at every epoch in the live panel ("watch 'king' find 'queen'").

    words = pick_probes(prep)                                   # before Start: a multiselect, defaults filled in
    cfg = cfg.replace(probe_words=words)                        # the trainer reports them (TrainEvent.probes)
    render_probes(run, view)                                    # in the live panel, from the JobView only

The neighbours come from JobView.probe_history (the job's typed view); the worker never calls Streamlit.
"""
from __future__ import annotations

import logging

import streamlit as st

from explorer.probe_view import ProbeHistory, default_probe_words
from trainer.job import JobView

from . import state
from .common import md

logger = logging.getLogger(__name__)

MAX_PROBES = 5
PROBE_OPTIONS = 3000  # the most frequent words offered in the picker (any other word can be typed)
_DEFAULTS_FOR = "_train_probes_vocab"  # the vocabulary the current defaults were picked for


def pick_probes(prep) -> tuple[str, ...]:
    """A multiselect of up to 5 probe words, defaulting to default_probe_words() of the vocabulary."""
    ss = st.session_state
    words = list(prep.vocab.words[:PROBE_OPTIONS])
    marker = (len(prep.vocab), tuple(words[:20]))
    if "train_probes" not in ss or ss.get(_DEFAULTS_FOR) != marker:
        # a new text gets its own defaults unless the user's pick still fits it
        known = set(prep.vocab.words)
        if "train_probes" not in ss or not any(w in known for w in ss["train_probes"] or []):
            ss["train_probes"] = default_probe_words(prep.vocab.words, prep.vocab.counts)
        ss[_DEFAULTS_FOR] = marker
    chosen = list(ss.get("train_probes") or [])[:MAX_PROBES]
    ss["train_probes"] = chosen
    options = list(dict.fromkeys([*chosen, *words]))  # typed words stay valid options
    picked = st.multiselect(
        "Probe words", options, key="train_probes", max_selections=MAX_PROBES, accept_new_options=True,
        placeholder="Pick or type up to 5 words",
        help="During training, the live panel shows these words' 5 nearest neighbours after every epoch; "
             "new neighbours are highlighted.")
    return tuple(w.strip() for w in picked if w.strip())


def render_probes(run: state.Run, v: JobView) -> None:
    """Each probe's top neighbours after the newest epoch; new ones (not there an epoch before) in bold."""
    wanted = tuple(run.config.probe_words) if run.config is not None else ()
    if not wanted:
        return
    missing = [w for w in v.summary.get("probe_missing", []) or []]
    with st.container(key="train_probes_panel", border=True):
        st.markdown("**Probe words: nearest neighbours after each epoch** (new ones in bold)")
        if missing:
            st.warning(f"Not in the vocabulary, so not followed: {', '.join(md(w) for w in missing)}. "
                       "Pick words from the list, or lower *Min. count*.", icon=":material/warning:")
        history = ProbeHistory.from_snapshots(v.probe_history)
        if not len(history):
            st.caption("The neighbours appear after the first epoch.")
            return
        epoch = history.epochs[-1] + 1
        for word in history.words:
            st.markdown(f"**{md(word)}** · epoch {epoch}: {history.markdown(word)}")
