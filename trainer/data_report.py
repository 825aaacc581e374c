"""The Data tab's sanity check of a corpus, as plain data (no Streamlit): what the trainer will see.

    from trainer import TextSource, scan_corpus
    from trainer.data_report import build_report, check_text
    sources = [TextSource.from_path("sample_data/shakespeare.txt")]
    report = build_report(scan_corpus(sources), min_count=5, checks=check_text(sources))
    report.vocab_size, report.coverage, report.type_token_ratio
    report.top_words[:10]                      # [(word, count)]
    report.line_hist_edges, report.line_hist_counts
    report.warnings                            # plain sentences: binary-looking text, numbers, markup, ...

The scan gives the token statistics and the vocabulary (the trainer's own Vocabulary.build, so the
numbers are the ones training will use); check_text reads the first few MB of raw text again for what
tokenising hides (control characters, markup, duplicate lines, very long lines).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from trainer import textdecode

logger = logging.getLogger(__name__)

CHECK_BYTES = 16 * 1024**2  # raw-text checks read at most this much text (all sources together)
LONG_LINE_CHARS = 10_000
DUPLICATE_MIN_WORDS = 4  # shorter lines (headings, speaker names in plays) repeat naturally
_MARKUP = re.compile(r"<[A-Za-z/!?][^<>\n]{0,500}>|&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_CONTROL = textdecode.CONTROL_CHARS  # the trainer's binary rule counts the same characters
_NUMERIC = re.compile(r"[\d.,'\u2019:/-]*\d[\d.,'\u2019:/-]*")


@dataclass
class TextChecks:
    """What a raw read of the text found (only the first CHECK_BYTES are read)."""
    chars: int = 0
    control_chars: int = 0  # textdecode.CONTROL_CHARS: NUL, other C0/C1 controls (not tab/newline/ff), U+FFFD
    markup_chars: int = 0  # characters inside <tags> and &entities;
    nonempty_lines: int = 0
    checked_lines: int = 0  # lines of at least DUPLICATE_MIN_WORDS words (checked for duplicates)
    duplicate_lines: int = 0  # checked lines equal (after trimming) to an earlier one
    long_lines: int = 0  # lines over LONG_LINE_CHARS characters
    longest_line_chars: int = 0
    truncated: bool = False  # True when the text was longer than CHECK_BYTES


def check_text(sources: Sequence, max_chars: int = CHECK_BYTES) -> TextChecks:
    """Raw-text checks over trainer.TextSource objects (reads at most max_chars characters)."""
    c = TextChecks()
    seen: set[int] = set()
    for src in sources:
        enc = src.detect_encoding()
        for block in src.text_blocks(enc):
            if c.chars + len(block) > max_chars:
                block = block[: max(max_chars - c.chars, 0)]
                c.truncated = True
            c.chars += len(block)
            c.control_chars += len(_CONTROL.findall(block))
            c.markup_chars += sum(len(m) for m in _MARKUP.findall(block))
            for line in block.split("\n"):
                n = len(line)
                if n > c.longest_line_chars:
                    c.longest_line_chars = n
                if n > LONG_LINE_CHARS:
                    c.long_lines += 1
                s = line.strip()
                if not s:
                    continue
                c.nonempty_lines += 1
                if s.count(" ") < DUPLICATE_MIN_WORDS - 1:
                    continue
                c.checked_lines += 1
                h = hash(s)
                if h in seen:
                    c.duplicate_lines += 1
                else:
                    seen.add(h)
            if c.truncated:
                return c
    return c


@dataclass
class DataReport:
    sources: list[dict]  # [{name, bytes, encoding}]
    bytes: int
    lines: int
    empty_lines: int
    tokens: int
    types: int
    min_count: int
    vocab_size: int
    vocab_tokens: int  # tokens whose word is in the vocabulary
    numeric_tokens: int
    top_words: list[tuple[str, int]]
    line_hist_edges: np.ndarray  # tokens per non-empty line
    line_hist_counts: np.ndarray
    long_lines_split: int = 0
    max_sentence_len: int = 1000
    checks: TextChecks | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def type_token_ratio(self) -> float:
        return self.types / self.tokens if self.tokens else 0.0

    @property
    def coverage(self) -> float:
        """Share of all tokens that belong to the vocabulary (i.e. are trained on)."""
        return self.vocab_tokens / self.tokens if self.tokens else 0.0

    @property
    def numeric_share(self) -> float:
        return self.numeric_tokens / self.tokens if self.tokens else 0.0

    @property
    def encodings(self) -> str:
        """'utf-8' when all sources agree, else 'name: enc, ...'."""
        encs = {s["encoding"] for s in self.sources}
        if len(encs) == 1:
            return encs.pop()
        return ", ".join(f"{s['name']}: {s['encoding']}" for s in self.sources)


def line_histogram(lengths: np.ndarray, bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of tokens per line with integer-width bins; the top 0.5% goes into the last bin."""
    lengths = np.asarray(lengths)
    if lengths.size == 0:
        return np.array([0, 1]), np.array([0])
    hi = int(max(np.percentile(lengths, 99.5), 1))
    width = max(1, int(np.ceil((hi + 1) / bins)))
    edges = np.arange(0, hi + width + 1, width)
    counts, _ = np.histogram(np.minimum(lengths, edges[-1] - 1), bins=edges)
    return edges, counts


def build_report(scan, min_count: int = 5, max_vocab: int | None = None, checks: TextChecks | None = None,
                 top_n: int = 30) -> DataReport:
    """The report for a trainer.CorpusScan at one vocabulary setting."""
    counts = np.asarray(scan.type_counts, dtype=np.int64)
    order = np.argsort(-counts, kind="stable")
    vocab = scan.vocabulary(min_count, max_vocab)
    numeric = sum(int(c) for w, c in zip(scan.types, counts) if _NUMERIC.fullmatch(w))
    edges, hist = line_histogram(scan.line_lengths)
    s = scan.stats
    report = DataReport(
        sources=list(s.sources), bytes=s.bytes, lines=s.lines, empty_lines=s.empty_lines, tokens=s.tokens,
        types=s.types, min_count=min_count, vocab_size=len(vocab), vocab_tokens=int(vocab.counts.sum()),
        numeric_tokens=numeric, top_words=[(scan.types[i], int(counts[i])) for i in order[:top_n]],
        line_hist_edges=edges, line_hist_counts=hist, long_lines_split=s.long_lines_split,
        max_sentence_len=scan.max_sentence_len, checks=checks)
    report.warnings = find_warnings(report)
    return report


def find_warnings(r: DataReport) -> list[str]:
    """Plain-language warnings about data that will probably train badly."""
    out: list[str] = []
    c = r.checks
    if c is not None and textdecode.is_binary(c.control_chars, c.chars):  # the rule training refuses by
        names = ", ".join(s["name"] for s in r.sources[:3]) or "This text"
        out.append(textdecode.binary_sentence(names, c.control_chars, c.chars) + ".")
    if r.tokens and r.numeric_share > 0.3:
        out.append(f"{r.numeric_share:.0%} of the tokens are numbers. word2vec learns from words; remove number "
                   "columns, IDs or tables first.")
    if c is not None and c.chars and c.markup_chars / c.chars > 0.15:
        out.append(f"About {c.markup_chars / c.chars:.0%} of the text is markup (HTML/XML tags or &entities;). "
                   "Strip the markup first, or tag names will crowd the vocabulary.")
    if c is not None and c.checked_lines >= 20 and c.duplicate_lines / c.checked_lines > 0.2:
        out.append(f"{c.duplicate_lines / c.checked_lines:.0%} of the lines repeat an earlier line "
                   "exactly (boilerplate, headers, copied records?). Repeats pull the vectors towards them; "
                   "remove duplicates if they are not real text.")
    if c is not None and c.long_lines:
        out.append(f"{c.long_lines:,} line(s) are longer than {LONG_LINE_CHARS:,} characters (the longest has "
                   f"{c.longest_line_chars:,}). Each line is one sentence to word2vec; put one sentence or "
                   "paragraph per line if you can.")
    elif r.long_lines_split:
        out.append(f"{r.long_lines_split:,} line(s) have more than {r.max_sentence_len:,} words and are split "
                   "into chunks for training.")
    if 0 < r.tokens < 10_000:
        out.append(f"Only {r.tokens:,} words of text: word2vec needs far more (ideally millions) for reliable "
                   "neighbours, so expect noisy results. Fine for a quick try.")
    if r.tokens and r.vocab_size < 20:
        out.append(f"Only {r.vocab_size:,} distinct words appear at least {r.min_count} times. Lower "
                   "'Minimum count' in the sidebar, or add more text.")
    elif r.tokens and r.coverage < 0.5:
        out.append(f"Only {r.coverage:.0%} of the text is kept at 'Minimum count' {r.min_count}: most words "
                   "are rare. Lower the minimum count, or add more text.")
    odd = [s for s in r.sources if textdecode.is_guess(s.get("encoding", "utf-8"))]  # UTF-16/32 are no guess
    if odd:
        encs = ", ".join(sorted({s["encoding"] for s in odd}))
        out.append(f"Not valid UTF-8 (read as {encs}): {', '.join(s['name'] for s in odd[:5])}. If accented "
                   "letters look wrong under 'Top words', save the file as UTF-8 and upload it again.")
    return out
