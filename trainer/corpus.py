"""Reading and standardising text, streamed, into a compact token-id corpus.

    from trainer.corpus import TextSource, scan_corpus
    scan = scan_corpus([TextSource.from_path("sample_data/shakespeare.txt")])
    scan.stats.tokens, scan.stats.encodings        # 202_651, {'shakespeare.txt': 'utf-8'}
    vocab = scan.vocabulary(min_count=5)            # trainer.vocab.Vocabulary
    corpus = scan.encode(vocab)                     # EncodedCorpus: int32 ids + sentence offsets

Files are read in blocks (never whole, never as Python token lists): each block
is lower-cased (optional) and tokenised with one regex; tokens become int32 ids
of a provisional dictionary. Lines are sentences; a line longer than
max_sentence_len tokens is split into chunks of that many tokens, never
truncated; empty lines are skipped. Encoding (trainer.textdecode, shared with uploads
and the data report): a BOM (UTF-8/16/32), else UTF-16 recognised by its NULs, else
UTF-8, else cp1252, else latin-1; the choice is reported per source. A source whose
head is mostly control characters (an image, a program...) is refused with
BinaryInputError before anything is counted.

What makes a word (strip_punctuation=True): a letter (Unicode L*) or number (N*:
decimal digits, and also "²", "½", "Ⅻ") followed by letters, numbers and combining
marks (M*, so Devanagari or Thai vowel signs stay inside their word), with single
inner apostrophes or hyphens ("don't", "well-known"). Everything else separates
words: spaces, punctuation, symbols and emoji, "_", invisible format characters
(Cf: U+200D zero-width joiner, U+00AD soft hyphen, ...) and variation selectors
(U+FE0F, category Mn but never part of a word), so "❤️" yields no word at all.
"""
from __future__ import annotations

import codecs
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import textdecode

logger = logging.getLogger(__name__)

BLOCK_BYTES = 1 << 22  # 4 MiB of text per tokenisation step
FALLBACK_ENCODINGS = textdecode.FALLBACK_ENCODINGS[1:]  # after UTF-8 (kept for callers of the old name)


class CorpusError(ValueError):
    """The text cannot be used: unreadable, empty, or empty after filtering."""


class BinaryInputError(CorpusError):
    """The input is mostly control characters (see trainer.textdecode.binary_problem): not text."""


@dataclass
class TextSource:
    """One input text: a file path, or in-memory text/bytes with a display name."""
    name: str
    path: Path | None = None
    data: bytes | str | None = None
    # (file stamp, encoding) of the last detect_encoding(): the CLI checks sources before TensorFlow loads and the
    # app's data report reads them again, so the full decoding pass runs once per file version, not per reader.
    _detected: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> TextSource:
        p = Path(path)
        if p.is_dir():
            raise CorpusError(f"{p} is a folder; give the text files in it")
        if not p.is_file():
            raise CorpusError(f"{p}: no such file")
        return cls(name=p.name, path=p)

    @classmethod
    def from_text(cls, text: str | bytes, name: str = "text") -> TextSource:
        return cls(name=name, data=text)

    def size_bytes(self) -> int:
        if self.path is not None:
            return self.path.stat().st_size
        return len(self.data.encode("utf-8") if isinstance(self.data, str) else self.data)

    def _raw_blocks(self) -> Iterator[bytes]:
        if self.path is not None:
            with open(self.path, "rb") as f:
                while chunk := f.read(BLOCK_BYTES):
                    yield chunk
        else:
            data = self.data.encode("utf-8") if isinstance(self.data, str) else self.data
            for i in range(0, len(data), BLOCK_BYTES):
                yield data[i:i + BLOCK_BYTES]

    def head(self) -> bytes:
        """The first textdecode.SNIFF_BYTES bytes (what BOM/UTF-16 sniffing and the binary rule look at)."""
        out = b""
        for chunk in self._raw_blocks():
            out += chunk[: textdecode.SNIFF_BYTES - len(out)]
            if len(out) >= textdecode.SNIFF_BYTES:
                break
        return out

    def detect_encoding(self) -> str:
        """The codec to read this source with (see trainer.textdecode), e.g. 'utf-8', 'utf-16', 'cp1252'.

        Raises BinaryInputError when the source is not text, so every reader refuses it the same way.
        """
        stamp = None
        if self.path is not None:
            st = self.path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
        if self._detected is not None and self._detected[0] == stamp:
            return self._detected[1]
        if isinstance(self.data, str):
            problem = textdecode.binary_problem(self.data[: textdecode.SNIFF_BYTES], self.name)
            enc = "utf-8"
        else:
            enc = textdecode.detect_encoding(self._raw_blocks)
            problem = textdecode.head_problem(self.head(), enc, self.name)
        if problem:
            raise BinaryInputError(problem)
        self._detected = (stamp, enc)
        return enc

    def text_blocks(self, encoding: str) -> Iterator[str]:
        """Decoded text in blocks that each end at a line break."""
        if isinstance(self.data, str):
            pieces: Iterator[str] = (self.data[i:i + BLOCK_BYTES] for i in range(0, len(self.data), BLOCK_BYTES))
        else:
            # replace: a fallback encoding was checked on every byte already; a BOM'd text's damaged tail
            # becomes U+FFFD instead of an exception halfway through a scan
            dec = codecs.getincrementaldecoder(encoding)(errors="replace")
            pieces = (dec.decode(chunk) for chunk in self._raw_blocks())
        carry = ""
        for piece in pieces:
            text = carry + piece
            cut = text.rfind("\n") + 1
            carry = text[cut:]
            if cut:
                yield text[:cut]
        if carry:
            yield carry + "\n"


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


@dataclass
class CorpusStats:
    """What a scan saw; shown in the app's data report and saved with each run."""
    sources: list[dict] = field(default_factory=list)  # [{name, bytes, encoding}]
    bytes: int = 0
    lines: int = 0  # all lines, empty ones included
    empty_lines: int = 0
    tokens: int = 0  # raw tokens after standardisation
    types: int = 0  # distinct tokens
    sentences: int = 0  # non-empty lines after splitting long ones
    long_lines_split: int = 0  # lines longer than max_sentence_len

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @property
    def encodings(self) -> dict[str, str]:
        return {s["name"]: s["encoding"] for s in self.sources}


@dataclass
class EncodedCorpus:
    """In-vocabulary tokens as int32 ids; sentence k is ids[offsets[k]:offsets[k+1]]."""
    ids: np.ndarray  # int32 [n_tokens]
    offsets: np.ndarray  # int64 [n_sentences + 1]

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_sentences(self) -> int:
        return int(self.offsets.shape[0] - 1)


@dataclass
class CorpusScan:
    """Every token of the corpus as provisional ids (first-seen order) plus counts.

    Tokens are kept per read block (blocks end at line ends), so encoding never
    needs a second full-size copy of the corpus.
    """
    types: list[str]  # provisional id -> token
    type_counts: np.ndarray  # int64 [n_types]
    pid_blocks: list[np.ndarray]  # int32 provisional ids of every token, per block, in corpus order
    sentence_blocks: list[np.ndarray]  # int32 tokens per sentence (after splitting), per block
    line_lengths: np.ndarray  # int32 [n_nonempty_lines] tokens per non-empty line (before splitting)
    stats: CorpusStats
    lowercase: bool = True
    strip_punctuation: bool = True
    max_sentence_len: int = 1000

    @property
    def pids(self) -> np.ndarray:
        return np.concatenate(self.pid_blocks) if self.pid_blocks else np.zeros(0, np.int32)

    @property
    def sentence_lengths(self) -> np.ndarray:
        return np.concatenate(self.sentence_blocks) if self.sentence_blocks else np.zeros(0, np.int32)

    def vocabulary(self, min_count: int = 5, max_vocab: int | None = None):
        from .vocab import Vocabulary
        return Vocabulary.build(self.types, self.type_counts, min_count=min_count, max_vocab=max_vocab)

    def encode(self, vocab) -> EncodedCorpus:
        """Map tokens to vocabulary ids, dropping out-of-vocabulary tokens and
        sentences left empty. Peak extra memory: the output plus one block."""
        remap = np.full(len(self.types), -1, dtype=np.int32)
        for new_id, w in enumerate(vocab.words):
            remap[self._type_index[w]] = new_id
        kept = [int(np.count_nonzero(remap[b] >= 0)) for b in self.pid_blocks]
        ids = np.empty(sum(kept), dtype=np.int32)
        lengths_out: list[np.ndarray] = []
        pos = 0
        for block, lengths, n_kept in zip(self.pid_blocks, self.sentence_blocks, kept):
            if not len(block):
                continue
            mapped = remap[block]
            keep = mapped >= 0
            ids[pos:pos + n_kept] = mapped[keep]
            pos += n_kept
            starts = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            per_sentence = np.add.reduceat(keep.astype(np.int32), starts)  # kept tokens per sentence
            lengths_out.append(per_sentence[per_sentence > 0])
        lengths_all = np.concatenate(lengths_out) if lengths_out else np.zeros(0, np.int64)
        offsets = np.zeros(len(lengths_all) + 1, dtype=np.int64)
        np.cumsum(lengths_all, out=offsets[1:])
        return EncodedCorpus(ids=ids, offsets=offsets)

    @property
    def _type_index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i for i, w in enumerate(self.types)}
        return self._index


def _split_lengths(line_lengths: np.ndarray, max_len: int) -> np.ndarray:
    """Split each line length into chunks of max_len (last chunk holds the rest)."""
    n_chunks = (line_lengths + max_len - 1) // max_len
    out = np.full(int(n_chunks.sum()), max_len, dtype=np.int32)
    last = np.cumsum(n_chunks) - 1
    out[last] = line_lengths - (n_chunks - 1) * max_len
    return out


def scan_corpus(
    sources: list[TextSource],
    lowercase: bool = True,
    strip_punctuation: bool = True,
    max_sentence_len: int = 1000,
    progress: Callable[[float, str], None] | None = None,
) -> CorpusScan:
    """Read every source once, tokenising and counting; see the module docstring."""
    if not sources:
        raise CorpusError("no text given: add at least one file or some text")
    pattern = token_pattern(strip_punctuation)
    index: dict[str, int] = {"\n": 0}  # id 0 marks a line break
    setdefault = index.setdefault
    pid_blocks: list[np.ndarray] = []
    sentence_blocks: list[np.ndarray] = []
    line_len_blocks: list[np.ndarray] = []
    counts = np.zeros(0, dtype=np.int64)
    stats = CorpusStats()
    total_bytes = sum(s.size_bytes() for s in sources) or 1
    done_bytes = 0
    for src in sources:
        enc = src.detect_encoding()
        stats.sources.append({"name": src.name, "bytes": src.size_bytes(), "encoding": enc})
        for block in src.text_blocks(enc):
            if lowercase:
                block = block.lower()
            arr = np.fromiter((setdefault(t, len(index)) for t in pattern.findall(block)), dtype=np.int32)
            is_nl = arr == 0
            n_lines = int(is_nl.sum())
            line_of = np.cumsum(is_nl) - is_nl  # line index of every token
            lengths = np.bincount(line_of[~is_nl], minlength=n_lines)[:n_lines]
            stats.lines += n_lines
            stats.empty_lines += int((lengths == 0).sum())
            tokens = arr[~is_nl] - 1  # real words are numbered from 0
            block_counts = np.bincount(tokens, minlength=len(index) - 1)
            block_counts[:len(counts)] += counts
            counts = block_counts
            line_lengths = lengths[lengths > 0].astype(np.int32)
            pid_blocks.append(tokens)
            line_len_blocks.append(line_lengths)
            sentence_blocks.append(_split_lengths(line_lengths, max_sentence_len))
            done_bytes += len(block)  # characters: close enough to bytes for a progress bar
            if progress:
                progress(min(done_bytes / total_bytes, 1.0), f"reading {src.name}")
        stats.bytes += src.size_bytes()
    line_lengths = np.concatenate(line_len_blocks) if line_len_blocks else np.zeros(0, np.int32)
    types = list(index)[1:]
    counts = np.concatenate([counts, np.zeros(len(types) - len(counts), np.int64)]).astype(np.int64)
    stats.tokens = int(sum(len(b) for b in pid_blocks))
    stats.types = len(types)
    stats.sentences = int(sum(len(b) for b in sentence_blocks))
    stats.long_lines_split = int((line_lengths > max_sentence_len).sum())
    return CorpusScan(types=types, type_counts=counts, pid_blocks=pid_blocks, sentence_blocks=sentence_blocks,
                      line_lengths=line_lengths, stats=stats, lowercase=lowercase,
                      strip_punctuation=strip_punctuation, max_sentence_len=max_sentence_len)
