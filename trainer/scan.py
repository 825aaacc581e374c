"""The scan: read every source once, tokenise and count, into a CorpusScan.

    from trainer.scan import scan_corpus
    from trainer.text_source import TextSource
    scan = scan_corpus([TextSource.from_path("sample_data/shakespeare.txt")],
                       progress=lambda frac, msg: print(msg))   # ScanProgress.describe(): MB, words/s, ETA
    scan.stats.tokens, scan.stats.types                          # 202_651 tokens

Each decoded block (trainer.text_source) is lower-cased (optional) and tokenised with one
regex (trainer.tokenizer); tokens become int32 ids of a provisional dictionary (first-seen
order), never Python token lists. Lines are sentences; a line longer than max_sentence_len
tokens is split into chunks of that many tokens, never truncated; empty lines are skipped.
Big files are tokenised on all cores (trainer.parallel_scan, which shares ScannedBlock,
TypeCounts and the block helpers below); big corpora are kept on disk (trainer.corpus_store).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .corpus_store import ScanStore, SpillDir
from .corpus_types import CorpusScan, CorpusStats
from .text_source import CorpusError, TextSource
from .tokenizer import token_pattern

logger = logging.getLogger(__name__)

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
