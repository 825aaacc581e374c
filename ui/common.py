"""Small helpers shared by the tabs: cached corpus work, number formatting, error sentences."""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from trainer import TextSource, TrainConfig, prepare, scan_corpus

APP_DIR = Path(__file__).resolve().parent.parent
SAMPLE_PATH = APP_DIR / "sample_data" / "shakespeare.txt"
SAMPLE_LABEL = "Shakespeare sample"
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
    """An exception's message as a sentence for Markdown: capitalised, full stop, markup escaped."""
    msg = (str(err) if not isinstance(err, KeyError) or not err.args else str(err.args[0])).strip()
    msg = msg or type(err).__name__
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


def text_settings(cfg: TrainConfig | None) -> tuple[bool, bool, int]:
    """(lowercase, strip_punctuation, max_sentence_len) of the config, else of the widgets."""
    if cfg is not None:
        return cfg.lowercase, cfg.strip_punctuation, cfg.max_sentence_len
    ss = st.session_state
    return (bool(ss.get("cfg_lowercase", True)), bool(ss.get("cfg_strip_punct", True)),
            max(2, int(ss.get("cfg_max_sentence_len", 1000) or 1000)))


class _LRU:
    """A small thread-safe LRU shared by all sessions (held by st.cache_resource)."""

    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _scans() -> _LRU:
    return _LRU(6)


@st.cache_data(show_spinner=False, max_entries=6)
def cached_checks(digest: str, _sources: list[TextSource]):
    from explorer.data_report import check_text
    return check_text(_sources)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_prepare(digest: str, config_json: str, _scan, _cfg: TrainConfig):
    """Vocabulary + encoded corpus for one config (cached; the job keeps its own reference)."""
    return prepare(_scan, _cfg)


def scan_with_progress(data: DataSelection, cfg: TrainConfig | None):
    """The scan of the chosen text, read once per (content, text settings) with a progress bar."""
    key = (data.digest, *text_settings(cfg))
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


def prepare_for(data: DataSelection, cfg: TrainConfig):
    scan = scan_with_progress(data, cfg)
    return cached_prepare(data.digest, json.dumps(cfg.to_dict(), sort_keys=True), scan, cfg)


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def tidy_map(fig):
    """Legend under the plot, so it never covers the colour bar."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0})
    return fig


_WARM = threading.Event()  # set when the warm-up has finished (or was never started)


def _warm_up() -> None:
    """Import TensorFlow and compile UMAP's numba code in the background: the first training and the first
    UMAP map then start at once instead of after 5-20 s. No Streamlit call happens in this thread."""
    try:
        import numpy as np
        import tensorflow  # noqa: F401  (what the first training would import)

        from explorer import Vectors, compute_map
        rng = np.random.default_rng(0)
        vec = Vectors([f"w{i}" for i in range(60)], rng.normal(size=(60, 8)))
        compute_map(vec, "umap", n_words=60, cache=None)
    except Exception:  # warming up is optional
        pass
    finally:
        _WARM.set()


def wait_for_warm_up(timeout: float = 180.0) -> None:
    """Block until the warm-up is done: numba compiling in two threads at once can deadlock, so maps wait."""
    if not _WARM.is_set():
        with st.spinner("Getting the map engine ready (only before the first map)…"):
            _WARM.wait(timeout)


_WARM_LOCK = threading.Lock()
_warm_started = False


def start_warm_up() -> None:
    """Once per process (a module-level flag, so a reloaded module warms up again and never waits on a stale
    event); WORD2VEC_EXPLORER_WARMUP=0 turns it off (the tests do)."""
    global _warm_started
    with _WARM_LOCK:
        if _warm_started:
            return
        _warm_started = True
    if os.environ.get("WORD2VEC_EXPLORER_WARMUP", "1") == "0":
        _WARM.set()
        return
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
