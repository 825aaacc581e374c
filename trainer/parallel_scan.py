"""Tokenising a big file on all cores: byte ranges in worker processes, merged in file order.

    from trainer import scan_corpus, TextSource
    scan = scan_corpus([TextSource.from_path("big.txt")], workers=None)   # None: all cores; 1: serial
    scan.stats.scan_workers                                               # processes that tokenised

scan_corpus() calls scan_source() for each file where usable() says so.

Why processes: the tokeniser is a Python regex plus one dict lookup per token; both
hold the GIL, so threads would not run it in parallel.
Why 'forkserver' ('spawn' where there is none): the app and the CLI have TensorFlow
loaded and threads running, and forking such a process is unsafe. The fork server is
a fresh interpreter that imports only this module (no TensorFlow); workers fork from it.

Exactness: a worker numbers the words of its range in first-seen order (local ids).
The parent takes the ranges in file order and adds each range's new words to the
global index in that same order, which is exactly the serial scan's first-seen order:
provisional ids, counts, the vocabulary (ties broken by first-seen order) and the
encoded ids are identical to workers=1 (tests/test_trainer_scale.py checks it).

Ranges end just after a b"\\n" byte, which is a line break in every encoding allowed
here (UTF-8 is self-synchronising; cp1252/latin-1 are single-byte); other encodings,
in-memory text and small files are scanned serially.
"""
from __future__ import annotations

import logging
import multiprocessing
import re
import sys
import threading
import types
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .backend import usable_cores
from .scan import ScannedBlock, TypeCounts, _serial_blocks, block_token_ids, split_block
from .text_source import BLOCK_BYTES, CorpusError, TextSource
from .tokenizer import token_pattern

logger = logging.getLogger(__name__)

PARALLEL_MIN_BYTES = 8 << 20  # below this, starting workers costs more than it saves
RANGE_BYTES = BLOCK_BYTES  # bytes per worker task
SAFE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "ascii"})


def default_workers() -> int:
    return usable_cores()


def usable(src: TextSource, encoding: str, size: int, workers: int) -> bool:
    return workers > 1 and src.path is not None and size >= PARALLEL_MIN_BYTES and encoding in SAFE_ENCODINGS


def byte_ranges(path, size: int, block: int | None = None) -> list[tuple[int, int]]:
    """[start, end) ranges of about `block` bytes, each ending just after a b"\\n" (or at EOF)."""
    block = block or RANGE_BYTES
    cuts = [0]
    with open(path, "rb") as f:
        pos = block
        while pos < size:
            f.seek(pos)
            while True:  # find the next line break at or after pos
                chunk = f.read(1 << 16)
                if not chunk:
                    pos = size
                    break
                nl = chunk.find(b"\n")
                if nl >= 0:
                    pos += nl + 1
                    break
                pos += len(chunk)
            if pos < size:
                cuts.append(pos)
            pos += block
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


@dataclass
class RangeResult:
    """One range tokenised with local ids (first-seen order within the range)."""
    types: list[str]
    block: ScannedBlock  # tokens are local ids
    type_counts: np.ndarray  # int64 [len(types)]


_PATTERNS: dict[str, re.Pattern[str]] = {}


def scan_range(path: str, start: int, end: int, encoding: str, lowercase: bool, pattern_src: str) -> RangeResult:
    """Worker: read, decode, tokenise one byte range. The regex arrives as its source text:
    building it (Unicode mark table) takes seconds, compiling the text a fraction of that."""
    pattern = _PATTERNS.get(pattern_src) or _PATTERNS.setdefault(pattern_src, re.compile(pattern_src))
    with open(path, "rb") as f:
        f.seek(start)
        raw = f.read(end - start)
    if encoding == "utf-8-sig" and start > 0:
        encoding = "utf-8"  # the BOM is only at the start of the file
    text = raw.decode(encoding)
    if not text.endswith("\n"):
        text += "\n"  # the last line of a file without a final line break, as TextSource.text_blocks
    if lowercase:
        text = text.lower()
    index: dict[str, int] = {"\n": 0}
    blk = split_block(block_token_ids(text, pattern, index), end - start)
    counts = np.bincount(blk.tokens, minlength=len(index) - 1).astype(np.int64)
    return RangeResult(types=list(index)[1:], block=blk, type_counts=counts)


_MAIN_LOCK = threading.Lock()


@contextmanager
def _main_script_hidden():
    """Start workers without re-running the parent's main script.

    'spawn' and 'forkserver' children first run the parent's __main__ file (multiprocessing's "main
    path"). Under Streamlit that file is app.py (its script runner installs the script as
    sys.modules["__main__"]), so every worker would run the whole app and die; a script without an
    `if __name__ == "__main__":` guard does the same. Workers need only this module, so a bare
    __main__ stands in while they start (under a lock; restored unless someone else replaced it).
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__file__", None) is None or getattr(main, "__spec__", None) is not None:
        yield  # nothing to hide: an interactive session, or `python -m ...` (imported by name, safely)
        return
    stub = types.ModuleType("__main__")
    with _MAIN_LOCK:
        sys.modules["__main__"] = stub
        try:
            yield
        finally:
            if sys.modules.get("__main__") is stub:
                sys.modules["__main__"] = main


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])  # workers fork with numpy and this module imported
        return ctx
    return multiprocessing.get_context("spawn")


def _merge(res: RangeResult, index: dict[str, int], counts: TypeCounts) -> ScannedBlock:
    """Local ids -> global provisional ids, adding new words in the range's first-seen order."""
    setdefault = index.setdefault
    glob = np.fromiter((setdefault(t, len(index)) for t in res.types), dtype=np.int32, count=len(res.types)) - 1
    counts.add(glob, res.type_counts)
    blk = res.block
    blk.tokens = glob[blk.tokens] if len(blk.tokens) else blk.tokens
    return blk


def scan_source(src: TextSource, encoding: str, lowercase: bool, strip_punctuation: bool, index: dict[str, int],
                counts: TypeCounts, workers: int) -> Iterator[ScannedBlock]:
    """The blocks of one file, tokenised by `workers` processes, merged into index/counts in order.

    At most 2 x workers ranges are in flight, so memory does not grow with the file.
    A pool that breaks before its first result is started once more with 'spawn' (multiprocessing's
    forkserver is one per process and outlives its first user: if something broke it, e.g. its socket
    folder was removed, every later pool on it fails); if that fails too, the file is scanned serially,
    with a warning.
    """
    for attempt in range(START_ATTEMPTS):
        try:
            yield from _parallel_blocks(src, encoding, lowercase, strip_punctuation, index, counts, workers,
                                        fresh=attempt > 0)
            return
        except _PoolDidNotStart as e:
            if attempt + 1 < START_ATTEMPTS:
                logger.info("parallel scan: the worker pool broke at start (%s); starting it again", e)
                continue
            logger.warning("parallel scan failed to start (%s); reading %s on one core", e, src.name)
    yield from _serial_blocks(src, encoding, token_pattern(strip_punctuation), lowercase, index, counts)


START_ATTEMPTS = 2  # pools started per file before falling back to one core


class _PoolDidNotStart(Exception):
    """The worker pool could not start or broke before returning any range."""


def _parallel_blocks(src: TextSource, encoding: str, lowercase: bool, strip_punctuation: bool,
                     index: dict[str, int], counts: TypeCounts, workers: int, fresh: bool = False
                     ) -> Iterator[ScannedBlock]:
    path, size = str(src.path), src.size_bytes()
    ranges = byte_ranges(path, size)
    pattern_src = token_pattern(strip_punctuation).pattern
    merged = 0
    try:
        ex = ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("spawn") if fresh else _context())
    except (OSError, ValueError) as e:
        raise _PoolDidNotStart(e) from e
    pending: deque = deque()
    todo = iter(ranges)
    try:
        def submit() -> None:
            r = next(todo, None)
            if r is not None:
                pending.append(ex.submit(scan_range, path, r[0], r[1], encoding, lowercase, pattern_src))

        with _main_script_hidden():  # the first submit starts the worker processes
            for _ in range(2 * workers):
                submit()
        while pending:
            try:
                res = pending.popleft().result()
            except (BrokenProcessPool, OSError) as e:
                if merged:
                    raise CorpusError(f"a worker process reading {src.name} stopped unexpectedly ({e}); "
                                      "try again, or scan with workers=1") from e
                raise _PoolDidNotStart(e) from e
            submit()
            merged += 1
            yield _merge(res, index, counts)
    finally:
        for f in pending:
            f.cancel()
        ex.shutdown(wait=True, cancel_futures=True)
