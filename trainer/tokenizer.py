"""The tokeniser: what makes a word, as one regular expression.

    from trainer.tokenizer import tokenize, token_pattern
    tokenize("Don't STOP, well-known café!")      # ["don't", "stop", "well-known", "café"]
    token_pattern(True).findall("a b\nc")         # ['a', 'b', '\n', 'c']: "\n" marks a sentence end

What makes a word (strip_punctuation=True): a letter (Unicode L*) or number (N*:
decimal digits, and also "²", "½", "Ⅻ") followed by letters, numbers and combining
marks (M*, so Devanagari or Thai vowel signs stay inside their word), with single
inner apostrophes or hyphens ("don't", "well-known"). Everything else separates
words: spaces, punctuation, symbols and emoji, "_", invisible format characters
(Cf: U+200D zero-width joiner, U+00AD soft hyphen, ...) and variation selectors
(U+FE0F, category Mn but never part of a word), so "❤️" yields no word at all.
strip_punctuation=False: any run of non-space characters is a token.
"""
from __future__ import annotations

import logging
import re
import sys
import unicodedata
from functools import lru_cache

logger = logging.getLogger(__name__)

def _is_variation_selector(cp: int) -> bool:
    """Category Mn, but they only pick a glyph style (emoji vs text), never part of a word."""
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _mark_ranges(lo: int, hi: int) -> str:
    """Regex class body for every combining mark (Unicode category M*) in [lo, hi) except variation
    selectors, so words of scripts such as Devanagari or Thai are not cut at their vowel signs."""
    ranges, start, prev = [], None, None
    for cp in range(lo, hi):
        if unicodedata.category(chr(cp)).startswith("M") and not _is_variation_selector(cp):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            ranges.append((start, prev))
            start = None
    if start is not None:
        ranges.append((start, prev))
    return "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in ranges)


@lru_cache(maxsize=2)
def token_pattern(strip_punctuation: bool) -> re.Pattern[str]:
    """The tokeniser: "\\n" (sentence end) or a token.

    strip_punctuation=True: a word as defined in the module docstring (letters, numbers, then also
    combining marks; inner apostrophes or hyphens kept). False: any run of non-space characters.
    """
    if not strip_punctuation:
        return re.compile(r"\n|[^\s]+")
    # [^\W_] is exactly Unicode L* and N* (str.isalnum), matched by category: several times faster than a
    # class of code-point ranges. Marks only follow, never start, a word. The marks class is split at the
    # BMP: re checks a BMP-only class with one table lookup but an astral class range by range, so the
    # astral ranges are only tried for astral characters (2x faster than one class on English text).
    marks = rf"[{_mark_ranges(0, 0x10000)}]|(?=[\U00010000-\U0010ffff])[{_mark_ranges(0x10000, sys.maxunicode + 1)}]"
    word = rf"[^\W_](?:[^\W_]|{marks})*"
    return re.compile(rf"\n|{word}(?:['\u2019\u2010-]{word})*")


def tokenize(text: str, lowercase: bool = True, strip_punctuation: bool = True) -> list[str]:
    """Tokens of one piece of text exactly as training sees them (line breaks dropped)."""
    if lowercase:
        text = text.lower()
    return [t for t in token_pattern(strip_punctuation).findall(text) if t != "\n"]
