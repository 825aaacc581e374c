"""trainer.data_report: the Data tab's numbers and warnings (pure logic)."""
from __future__ import annotations

import numpy as np
import pytest

from trainer import TextSource, scan_corpus
from trainer.data_report import build_report, check_text, line_histogram
from trainer.text_source import BinaryInputError


def report(text: str | bytes, min_count: int = 1):
    src = [TextSource.from_text(text, name="t.txt")]
    return build_report(scan_corpus(src), min_count, checks=check_text(src))


def test_numbers_match_the_scan(tiny_text):
    r = report(tiny_text, min_count=2)
    scan = scan_corpus([TextSource.from_text(tiny_text)])
    assert (r.tokens, r.types, r.lines) == (scan.stats.tokens, scan.stats.types, scan.stats.lines)
    assert r.vocab_size == int((scan.type_counts >= 2).sum())
    assert r.vocab_tokens == int(scan.type_counts[scan.type_counts >= 2].sum())
    assert 0 < r.coverage < 1 and abs(r.type_token_ratio - r.types / r.tokens) < 1e-12
    assert r.top_words[0][1] == scan.type_counts.max() and r.encodings == "utf-8"
    assert r.line_hist_counts.sum() == len(scan.line_lengths)
    src = [TextSource.from_text(tiny_text)]
    capped = build_report(scan_corpus(src), 1, max_vocab=50)
    assert capped.vocab_size == 50 and capped.vocab_tokens == int(np.sort(scan.type_counts)[::-1][:50].sum())


def test_clean_text_has_only_the_small_corpus_warning(tiny_text):
    warnings = report(tiny_text).warnings
    assert len(warnings) == 1 and "words of text" in warnings[0]


def test_suspicious_text_is_flagged():
    with pytest.raises(BinaryInputError, match="t.txt does not look like text"):  # refused, as training does
        report(b"abc\x00\x01\x02\x03 def\x00\n" * 40)
    assert any("numbers" in w for w in report("12 345 6.7 8 the\n" * 40).warnings)
    assert any("markup" in w for w in report('<div class="x"><p>hi &amp; bye</p></div>\n' * 40).warnings)
    assert any("repeat an earlier line" in w for w in report("the same line again and again\n" * 40).warnings)
    long_line = " ".join(f"w{i % 50}" for i in range(3000)) + "\n"
    assert any("longer than" in w for w in report(long_line).warnings)
    assert any("Minimum count" in w for w in report("a b c d\n", min_count=5).warnings)
    latin = report("caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("cp1252") * 5)
    assert latin.sources[0]["encoding"] == "cp1252" and any("UTF-8" in w for w in latin.warnings)


def test_short_repeated_lines_are_not_duplicates():
    text = "".join(f"ROMEO:\nline number {i} of the play here\n" for i in range(50))
    assert not any("repeat" in w for w in report(text).warnings)


def test_histogram_helper():
    edges, counts = line_histogram(np.array([1, 2, 2, 3, 50]), bins=10)
    assert counts.sum() == 5 and edges[0] == 0
    edges, counts = line_histogram(np.array([], dtype=int))
    assert counts.sum() == 0
