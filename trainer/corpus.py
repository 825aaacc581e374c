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
import contextlib
import logging
import os
import re
import sys
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import textdecode
from .corpus_store import ScanStore, SpillDir, finish, release_pages, writer

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
    scan_workers: int = 1  # processes that tokenised (trainer.parallel_scan)
    scan_seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @property
    def encodings(self) -> dict[str, str]:
        return {s["name"]: s["encoding"] for s in self.sources}


@dataclass
class EncodedCorpus:
    """In-vocabulary tokens as int32 ids; sentence k is ids[offsets[k]:offsets[k+1]].

    ids and offsets are in-memory arrays, or read-only np.memmap views of .npy files
    in a temp dir (big corpora, see trainer.corpus_store); readers of a mapped corpus
    call release_pages() now and then so its pages do not pile up in RSS; close()
    deletes the files (also done when the object is collected or at exit).
    """
    ids: np.ndarray  # int32 [n_tokens]
    offsets: np.ndarray  # int64 [n_sentences + 1]
    files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        self._finalizer = weakref.finalize(self, _unlink, self.files) if self.files else None

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_sentences(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def on_disk(self) -> bool:
        return bool(self.files)

    def max_sentence_length(self, chunk: int = 1 << 20) -> int:
        """Longest sentence, read in chunks (never a full-size temporary)."""
        best = 0
        for a in range(0, self.n_sentences, chunk):
            part = np.asarray(self.offsets[a:a + chunk + 1])
            if part.shape[0] > 1:
                best = max(best, int(np.diff(part).max()))
        release_pages(self.offsets)
        return best

    def release_pages(self) -> None:
        release_pages(self.ids, self.offsets)

    def close(self) -> None:
        """Delete the backing files now (mapped arrays stay readable until dropped, on Linux)."""
        if self._finalizer is not None:
            self._finalizer()


def _unlink(files: tuple[Path, ...]) -> None:
    for f in files:
        try:
            f.unlink(missing_ok=True)
        except OSError as e:
            logger.warning("could not remove %s: %s", f, e)


@dataclass
class CorpusScan:
    """Every token of the corpus as provisional ids (first-seen order) plus counts.

    Tokens are kept per read block (blocks end at line ends), so encoding never
    needs a second full-size copy of the corpus. A big corpus's blocks live on disk
    (store.on_disk, see trainer.corpus_store); close() removes them.
    """
    types: list[str]  # provisional id -> token
    type_counts: np.ndarray  # int64 [n_types]
    store: ScanStore  # int32 provisional ids, sentence lengths (after splitting), line lengths
    stats: CorpusStats
    lowercase: bool = True
    strip_punctuation: bool = True
    max_sentence_len: int = 1000

    @property
    def pid_blocks(self) -> list[np.ndarray]:
        return [p for p, _ in self.store.blocks(release=False)]

    @property
    def sentence_blocks(self) -> list[np.ndarray]:
        return [s for _, s in self.store.blocks(release=False)]

    @property
    def pids(self) -> np.ndarray:
        return self.store.arrays["pids"]

    @property
    def sentence_lengths(self) -> np.ndarray:
        return self.store.arrays["sentences"]

    @property
    def line_lengths(self) -> np.ndarray:
        """int32 tokens per non-empty line (before splitting)."""
        return self.store.arrays["lines"]

    def close(self) -> None:
        """Delete this scan's temp files (and those of corpora encoded from it)."""
        if self.store.spill is not None:
            self.store.spill.close()

    def vocabulary(self, min_count: int = 5, max_vocab: int | None = None):
        from .vocab import Vocabulary
        return Vocabulary.build(self.types, self.type_counts, min_count=min_count, max_vocab=max_vocab)

    def encode(self, vocab) -> EncodedCorpus:
        """Map tokens to vocabulary ids, dropping out-of-vocabulary tokens and
        sentences left empty. Peak extra memory: one block (plus the output when
        the scan is in memory; a scan on disk writes the output to disk too)."""
        remap = np.full(len(self.types), -1, dtype=np.int32)
        for new_id, w in enumerate(vocab.words):
            remap[self._type_index[w]] = new_id
        spill = self.store.spill
        tag = f"{id(vocab):x}-{time.monotonic_ns():x}"
        ids_w = writer(spill, f"ids-{tag}.npy", np.int32)
        off_w = writer(spill, f"offsets-{tag}.npy", np.int64)
        off_w.append(np.zeros(1, np.int64))
        total = 0
        for block, lengths in self.store.blocks():
            if not len(block):
                continue
            mapped = remap[block]
            keep = mapped >= 0
            ids_w.append(mapped[keep])
            starts = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            per_sentence = np.add.reduceat(keep.astype(np.int64), starts)  # kept tokens per sentence
            ends = np.cumsum(per_sentence[per_sentence > 0]) + total
            off_w.append(ends)
            total = int(ends[-1]) if len(ends) else total
        ids, offsets = finish(ids_w), finish(off_w)
        files = (ids_w.path, off_w.path) if spill is not None else ()
        return EncodedCorpus(ids=ids, offsets=offsets, files=files)

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


class TypeCounts:
    """Occurrences per provisional id, grown as new types appear."""

    def __init__(self) -> None:
        self.counts = np.zeros(1024, dtype=np.int64)

    def _grow(self, n: int) -> None:
        if n > len(self.counts):
            self.counts = np.concatenate([self.counts, np.zeros(max(n, 2 * len(self.counts)) - len(self.counts),
                                                                np.int64)])

    def add_tokens(self, tokens: np.ndarray) -> None:
        bc = np.bincount(tokens)
        self._grow(len(bc))
        self.counts[:len(bc)] += bc

    def add(self, ids: np.ndarray, values: np.ndarray) -> None:
        """ids distinct (one block's types), values their counts."""
        if len(ids):
            self._grow(int(ids.max()) + 1)
            self.counts[ids] += values

    def result(self, n_types: int) -> np.ndarray:
        self._grow(n_types)
        return self.counts[:n_types].copy()


@dataclass
class ScannedBlock:
    """One read block after tokenisation: what the scan stores and counts."""
    tokens: np.ndarray  # int32 provisional ids (0-based words), corpus order
    line_lengths: np.ndarray  # int32 tokens per non-empty line
    n_lines: int  # all lines, empty ones included
    n_empty: int
    size: int  # bytes (or characters) of text read, for progress


def block_token_ids(text: str, pattern: re.Pattern[str], index: dict[str, int]) -> np.ndarray:
    """Ids of every token and line break ("\n" must be id 0) of text, adding new tokens to index."""
    setdefault = index.setdefault
    return np.fromiter((setdefault(t, len(index)) for t in pattern.findall(text)), dtype=np.int32)


def split_block(arr: np.ndarray, size: int) -> ScannedBlock:
    """Line structure of block_token_ids' output; real words are numbered from 0."""
    is_nl = arr == 0
    n_lines = int(is_nl.sum())
    line_of = np.cumsum(is_nl) - is_nl  # line index of every token
    lengths = np.bincount(line_of[~is_nl], minlength=n_lines)[:n_lines]
    return ScannedBlock(tokens=arr[~is_nl] - 1, line_lengths=lengths[lengths > 0].astype(np.int32),
                        n_lines=n_lines, n_empty=int((lengths == 0).sum()), size=size)


def _serial_blocks(src: TextSource, enc: str, pattern, lowercase: bool, index: dict[str, int],
                   counts: TypeCounts) -> Iterator[ScannedBlock]:
    for block in src.text_blocks(enc):
        size = len(block)  # characters: close enough to bytes for a progress bar
        if lowercase:
            block = block.lower()
        blk = split_block(block_token_ids(block, pattern, index), size)
        counts.add_tokens(blk.tokens)
        yield blk


@dataclass
class ScanProgress:
    """Where a scan is; its describe() is the message passed to progress(fraction, message)."""
    source: str
    done_bytes: int
    total_bytes: int
    words: int
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return min(self.done_bytes / max(self.total_bytes, 1), 1.0)

    @property
    def words_per_s(self) -> float:
        return self.words / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float:
        rate = self.done_bytes / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (self.total_bytes - self.done_bytes) / rate if rate > 0 else float("nan")

    def describe(self) -> str:
        mb = 2 ** 20
        eta = self.eta_s
        eta_txt = f"{int(eta) // 60}:{int(eta) % 60:02d}" if eta == eta else "--:--"
        return (f"reading {self.source}: {self.done_bytes / mb:,.1f} of {self.total_bytes / mb:,.1f} MB, "
                f"{self.words / 1e6:,.2f}M words, {self.words_per_s / 1e6:,.2f}M words/s, ETA {eta_txt}")


SPILL_BYTES = 64 << 20  # text at least this big: scan blocks and encoded ids go to disk (memory stays flat)


def scan_corpus(
    sources: list[TextSource],
    lowercase: bool = True,
    strip_punctuation: bool = True,
    max_sentence_len: int = 1000,
    progress: Callable[[float, str], None] | None = None,
    *,
    cancel=None,
    workers: int | None = None,
    spill_dir: str | os.PathLike | None = None,
    spill_threshold: int = SPILL_BYTES,
) -> CorpusScan:
    """Read every source once, tokenising and counting; see the module docstring.

    progress(fraction, message) gets ScanProgress.describe() (bytes, words/s, ETA);
    cancel (a CancelToken) stops between blocks with events.TrainingCancelled.
    workers: processes for big files (None: all cores; 1: this thread only; see
    trainer.parallel_scan). Text of spill_threshold bytes or more is kept on disk
    in a new folder inside spill_dir (default: the system temp dir).
    """
    from . import parallel_scan
    from .events import TrainingCancelled
    if not sources:
        raise CorpusError("no text given: add at least one file or some text")
    pattern = token_pattern(strip_punctuation)
    index: dict[str, int] = {"\n": 0}  # id 0 marks a line break
    counts = TypeCounts()
    stats = CorpusStats()
    sizes = [s.size_bytes() for s in sources]
    total_bytes = sum(sizes)
    store = ScanStore(SpillDir.create(spill_dir) if total_bytes >= spill_threshold else None)
    n_workers = parallel_scan.default_workers() if workers is None else max(1, int(workers))
    t0, done, long_lines, last_report = time.perf_counter(), 0, 0, 0.0
    try:
        for src, size in zip(sources, sizes):
            enc = src.detect_encoding()
            stats.sources.append({"name": src.name, "bytes": size, "encoding": enc})
            if parallel_scan.usable(src, enc, size, n_workers):
                blocks = parallel_scan.scan_source(src, enc, lowercase, strip_punctuation, index, counts, n_workers)
                stats.scan_workers = max(stats.scan_workers, n_workers)
            else:
                blocks = _serial_blocks(src, enc, pattern, lowercase, index, counts)
            with contextlib.closing(blocks):
                for blk in blocks:
                    if cancel is not None and cancel.cancelled:
                        raise TrainingCancelled(f"stopped while reading {src.name}")
                    sentences = _split_lengths(blk.line_lengths, max_sentence_len)
                    stats.lines += blk.n_lines
                    stats.empty_lines += blk.n_empty
                    stats.tokens += len(blk.tokens)
                    stats.sentences += len(sentences)
                    long_lines += int((blk.line_lengths > max_sentence_len).sum())
                    store.add_block(blk.tokens, sentences, blk.line_lengths)
                    done += blk.size
                    now = time.perf_counter()
                    if progress and (now - last_report >= 0.25 or done >= total_bytes):
                        last_report = now
                        p = ScanProgress(src.name, done, total_bytes, stats.tokens, now - t0)
                        progress(p.fraction, p.describe())
            stats.bytes += size
            if progress and done < stats.bytes:  # serial blocks count decoded text: end on the file's bytes
                p = ScanProgress(src.name, stats.bytes, total_bytes, stats.tokens, time.perf_counter() - t0)
                progress(p.fraction, p.describe())
            done = stats.bytes
        store.finish()
    except BaseException:
        store.discard()
        raise
    types = list(index)[1:]
    stats.types = len(types)
    stats.long_lines_split = long_lines
    stats.scan_seconds = time.perf_counter() - t0
    logger.info("scanned %d tokens, %d types in %.1f s (%d worker(s), %s)", stats.tokens, stats.types,
                stats.scan_seconds, stats.scan_workers, "on disk" if store.on_disk else "in memory")
    return CorpusScan(types=types, type_counts=counts.result(len(types)), store=store, stats=stats,
                      lowercase=lowercase, strip_punctuation=strip_punctuation, max_sentence_len=max_sentence_len)
