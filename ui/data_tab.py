"""Data tab: choose the text (sample, uploads, pasted) and sanity-check it before training."""
from __future__ import annotations

import hashlib
import logging

import pandas as pd
import streamlit as st

from explorer import line_length_figure, zipf_figure
from trainer import ConfigError, CorpusError, TextSource, TrainConfig
from trainer.data_report import build_report
from trainer.ingest import MAX_UNZIPPED_BYTES, UPLOAD_TYPES, IngestError, ingest_uploads

from .common import (
    SAMPLE_LABEL,
    DataSelection,
    cached_checks,
    empty_state,
    human_bytes,
    md,
    sample_selection,
    scan_with_progress,
    sentence,
)
from .state import SessionModel

logger = logging.getLogger(__name__)

SOURCES = {"sample": f"{SAMPLE_LABEL} (1.1 MB)", "upload": "Upload files", "paste": "Paste text"}
MAX_PASTE_CHARS = 5_000_000


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _csv_key(name: str) -> str:
    return "data_csv_col_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def choose_source(session_dir: str) -> DataSelection | None:
    """The source picker; returns the selection, or None after telling the user what to do."""
    st.radio("Where is your text?", list(SOURCES), format_func=SOURCES.get, key="data_source", horizontal=True,
             help="Start with the bundled sample, or bring your own plain text.")
    source = st.session_state["data_source"]
    if source == "sample":
        st.caption("Lines from Shakespeare's plays (40,000 lines, 1.1 MB) — ready to train: open **Train** and "
                   "press **Start training**.")
        return sample_selection()
    if source == "paste":
        text = st.text_area("Paste your text", key="data_paste", height=200, max_chars=MAX_PASTE_CHARS,
                            placeholder="One sentence or paragraph per line works best…",
                            help="Each line is treated as one sentence.")
        if not text or not text.strip():
            empty_state("Paste some text above (a few hundred lines at least), then look at the report below.")
            return None
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
        return DataSelection([TextSource.from_text(text, name="pasted text")], digest, "pasted text")
    limit = upload_limit_mb()
    files = st.file_uploader(
        f"Text files (.txt, .md), a .zip of them, or a .csv — up to {limit} MB per file",
        type=UPLOAD_TYPES, accept_multiple_files=True, key="data_upload",
        help=f"Several files are joined into one corpus. A .zip may unpack to at most "
             f"{MAX_UNZIPPED_BYTES // 1024**2} MB of .txt/.md files; from a CSV you choose the column with the text.")
    if not files:
        empty_state("Drop one or more text files in the box above, or choose the sample.")
        return None
    uploads = [(f.name, f.getvalue()) for f in files]
    chosen = {f.name: st.session_state.get(_csv_key(f.name)) for f in files}
    try:
        got = ingest_uploads(uploads, session_dir, {k: v for k, v in chosen.items() if v})
    except IngestError as e:
        st.error(sentence(e), icon=":material/error:")
        return None
    except OSError as e:  # e.g. the server's disk is full
        logger.warning("upload could not be stored: %s", e)
        st.error(f"The upload could not be stored ({sentence(e)}) Try again with fewer or smaller files.",
                 icon=":material/error:")
        return None
    for name, columns in got.csv_choices.items():
        used = got.csv_used[name]
        st.selectbox(f"Text column of {name}", columns, index=columns.index(used), key=_csv_key(name),
                     help="The column holding the text; each row becomes one line.")
    for note in got.notes:
        st.caption(md(note))
    label = got.sources[0].name if len(got.sources) == 1 else f"{len(got.sources)} uploaded files"
    return DataSelection(got.sources, got.digest, label, got.notes)


def render_report(data: DataSelection, cfg: TrainConfig) -> None:
    """The sanity check at `cfg`'s text and vocabulary settings (the last valid sidebar config)."""
    min_count, max_vocab = cfg.min_count, cfg.max_vocab
    try:
        scan = scan_with_progress(data, cfg)
        with st.spinner("Checking the raw text…"):
            checks = cached_checks(data.digest, data.sources)
        report = build_report(scan, min_count, max_vocab, checks=checks)
    except (CorpusError, ConfigError, OSError, ValueError) as e:
        st.error(f"This text cannot be read: {sentence(e)} Choose another file or paste plain text.",
                 icon=":material/error:")
        return
    if report.tokens == 0:
        st.error("No words found in this text. Check that it is plain text (not a PDF or Word file) and that "
                 "'Drop punctuation' in the sidebar fits it.", icon=":material/error:")
        return
    st.subheader("Sanity check", help="What the trainer will see, at the current sidebar settings.")
    c = st.columns(4)
    c[0].metric("Size", human_bytes(report.bytes), help=f"{report.bytes:,} bytes in {len(report.sources)} file(s)")
    c[1].metric("Lines", f"{report.lines:,}", help=f"{report.empty_lines:,} of them empty. Each line is a sentence.")
    c[2].metric("Words (tokens)", f"{report.tokens:,}", help="Every word occurrence after clean-up.")
    c[3].metric("Vocabulary", f"{report.vocab_size:,}",
                help=f"Distinct words seen at least {min_count} times ('Minimum count' in the sidebar): "
                     "the words that get a vector.")
    c = st.columns(4)
    c[0].metric("Distinct words", f"{report.types:,}", help="All different words, however rare.")
    c[1].metric("Type/token ratio", f"{report.type_token_ratio:.3f}",
                help="Distinct words divided by all words: low means repetitive text, high means varied "
                     "(or very little) text.")
    c[2].metric("Covered by vocabulary", f"{report.coverage:.1%}",
                help="Share of the text made of vocabulary words: the part word2vec actually learns from.")
    c[3].metric("Encoding", report.encodings if len(report.encodings) < 20 else "mixed",
                help="How the bytes were decoded: " + report.encodings)
    if report.warnings:
        for w in report.warnings:
            st.warning(md(w), icon=":material/warning:")
    else:
        st.success("No obvious problems found in this text.", icon=":material/check_circle:")
    if checks.truncated:
        st.caption(f"Raw-text checks read the first {checks.chars:,} characters.")
    left, right = st.columns(2)
    with left:
        fig = zipf_figure(scan.type_counts, scan.types, height=380)
        fig.update_xaxes(dtick=1).update_yaxes(dtick=1)  # label powers of ten only
        st.plotly_chart(fig, key="data_zipf", width="stretch")
    with right:
        st.plotly_chart(line_length_figure(report.line_hist_edges, report.line_hist_counts), key="data_lines",
                        width="stretch")
    st.markdown("**Top words**")
    top = pd.DataFrame(report.top_words, columns=["word", "count"])
    top.insert(0, "rank", range(1, len(top) + 1))
    top["share of text"] = top["count"] / report.tokens
    st.dataframe(top, hide_index=True, width="stretch", height=300, key="data_top_words",
                 column_config={"share of text": st.column_config.ProgressColumn(
                     "share of text", format="percent", min_value=0.0,
                     max_value=float(top["share of text"].max() or 1.0))})


def render(model: SessionModel, show_report: bool = True) -> DataSelection | None:
    """Draw the Data tab (the report only when the tab is open); returns the chosen text or None.

    The report uses model.last_config: the sidebar's config, or the last valid one while a setting is wrong."""
    st.markdown("Pick the text to learn from and check that it looks like real text before training.")
    data = choose_source(model.session_dir)
    if data is not None and show_report:
        render_report(data, model.last_config)
    return data
