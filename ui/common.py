"""Small helpers shared by the tabs: cached corpus work, number formatting, error sentences, the warm-up.

Corpus work is cached per process (all sessions) in explorer.cache.LRUCache objects held by
st.cache_resource: scans by (content, text settings), prepared corpora by (content, text and vocabulary
settings), so changing epochs, the learning rate or the model never re-encodes the text.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from explorer.cache import LRUCache
from trainer import TextSource, TrainConfig, prepare, scan_corpus
from trainer.loop import PREPARED_FIELDS, Prepared

logger = logging.getLogger(__name__)

APP_DIR = Path(__file__).resolve().parent.parent
SAMPLE_PATH = APP_DIR / "sample_data" / "shakespeare.txt"
SAMPLE_LABEL = "Shakespeare sample"
SCANS_KEPT = 6  # corpus scans kept per process (a scan is the raw token stream: the biggest object)
PREPARED_KEPT = 3  # encoded corpora kept per process; running jobs hold their own reference
WARM_UP_TIMEOUT_S = 180.0  # the longest a first map waits for the warm-up (UMAP's numba compile: 20-30 s)
TABS = {"data": ":material/description: Data", "train": ":material/model_training: Train",
        "explore": ":material/explore: Explore", "compare": ":material/compare_arrows: Compare",
        "export": ":material/download: Export"}  # name -> label (the label is the st.tabs state value)


@dataclass
class DataSelection:
    """The text chosen on the Data tab: sources plus a content digest (the cache key)."""
    sources: list[TextSource]
    digest: str
    label: str  # e.g. "Shakespeare sample", "3 uploaded files", "pasted text"
    notes: list[str] = field(default_factory=list)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md(text: object) -> str:
    """Text that Streamlit's Markdown shows literally: words, file and run names are data, never markup
    (no links, emphasis, LaTeX or :emoji: from a word)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace(":", ":\u200b")


def sentence(err: BaseException | str) -> str:
    """An exception's message as a sentence for Markdown: capitalised, full stop, markup escaped.

    Only a plain lower-case first word is capitalised: a message that starts with a file name
    ('village_stories.txt is empty') keeps the name as the user wrote it."""
    msg = (str(err) if not isinstance(err, KeyError) or not err.args else str(err.args[0])).strip()
    msg = msg or type(err).__name__
    first = msg.split(None, 1)[0]
    if first.isalpha() and first.islower():
        msg = msg[0].upper() + msg[1:]
    return md(msg if msg.endswith((".", "?", "!")) else msg + ".")


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} GB"


def human_seconds(s: float) -> str:
    if s != s or s < 0:  # NaN
        return "estimating…"
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


@st.cache_data(show_spinner=False, max_entries=4)
def file_digest(path: str, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:24]


def sample_selection() -> DataSelection:
    return DataSelection([TextSource.from_path(SAMPLE_PATH)],
                         file_digest(str(SAMPLE_PATH), SAMPLE_PATH.stat().st_mtime), SAMPLE_LABEL)


def _scans() -> LRUCache:
    return _caches()[0]


@st.cache_resource(show_spinner=False)
def _caches() -> tuple[LRUCache, LRUCache]:
    """(scans, prepared corpora), shared by all sessions of this process."""
    return LRUCache(SCANS_KEPT), LRUCache(PREPARED_KEPT)


@st.cache_data(show_spinner=False, max_entries=6)
def cached_checks(digest: str, _sources: list[TextSource]):
    from trainer.data_report import check_text
    return check_text(_sources)


def scan_with_progress(data: DataSelection, cfg: TrainConfig):
    """The scan of the chosen text, read once per (content, text settings) with a progress bar."""
    key = (data.digest, cfg.lowercase, cfg.strip_punctuation, cfg.max_sentence_len)
    scan = _scans().get(key)
    if scan is None:
        bar = st.progress(0.0, text="Reading the text…")

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"Reading the text: {message}")

        try:
            scan = scan_corpus(data.sources, *key[1:], progress)
        finally:
            bar.empty()
        _scans().put(key, scan)
    return scan


def prepare_for(data: DataSelection, cfg: TrainConfig) -> Prepared:
    """Vocabulary + encoded corpus for cfg, shared by every config with the same text and vocabulary settings
    (a running job keeps its own reference, whatever the cache drops)."""
    key = (data.digest, *(getattr(cfg, f) for f in PREPARED_FIELDS))
    cached = _caches()[1].get(key)
    prep = prepare(cached if cached is not None else scan_with_progress(data, cfg), cfg)  # checks cfg too
    if prep is not cached:
        _caches()[1].put(key, prep)
    return prep


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")




_WARM = threading.Event()  # set when the warm-up has finished (or was never started)


def _warm_up() -> None:
    """Import TensorFlow and compile UMAP's numba code in the background: the first training and the first
    UMAP map then start at once instead of after 5-20 s. No Streamlit call happens in this thread."""
    try:
        import tensorflow  # noqa: F401  (what the first training would import)

        from explorer import warm_up_umap
        logger.info("warm-up done in %.1f s", warm_up_umap(large=False))
    except Exception:  # the app works without it (maps are just slower the first time): say why in the log
        logger.exception("warm-up failed; the first map will compile UMAP itself")
    finally:
        _WARM.set()


def wait_for_warm_up(timeout: float = WARM_UP_TIMEOUT_S) -> None:
    """Block until the warm-up is done: numba compiling in two threads at once can deadlock, so maps wait."""
    if not _WARM.is_set():
        with st.spinner("Getting the map engine ready (only before the first map)…"):
            if not _WARM.wait(timeout):
                logger.warning("warm-up still running after %.0f s; drawing the map anyway", timeout)


_WARM_LOCK = threading.Lock()
_warm_started = False


def start_warm_up() -> None:
    """The one warm-up of the process (a module-level flag, so a reloaded module warms up again and never waits
    on a stale event); WORD2VEC_EXPLORER_WARMUP=0 turns it off (the tests do)."""
    global _warm_started
    with _WARM_LOCK:
        if _warm_started:
            return
        _warm_started = True
    if os.environ.get("WORD2VEC_EXPLORER_WARMUP", "1") == "0":
        _WARM.set()
        return
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
