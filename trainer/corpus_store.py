"""On-disk storage for scanned and encoded corpora, so memory stays flat in corpus size.

    from trainer.corpus_store import SpillDir, ArrayWriter, open_array
    spill = SpillDir.create(parent=None)           # a private temp dir; removed by spill.close(), GC or exit
    with ArrayWriter(spill.path / "ids.npy", np.int32) as w:
        w.append(np.arange(10, dtype=np.int32))    # sequential appends, never the whole array in RAM
    ids = open_array(spill.path / "ids.npy")       # np.load(mmap_mode="r"): a read-only np.memmap
    release_pages(ids)                             # drop its pages from this process's RSS
    spill.close()

Files are plain .npy (version 1.0 header, no pickled objects) written with ordinary
sequential writes and read back with `np.load(mmap_mode="r", allow_pickle=False)`.
Why not write through a memmap: dirty file-backed pages count in the process's RSS,
which is what this module exists to keep flat. Reading through a memmap also leaves
pages resident, so readers call release_pages() as they move on (madvise DONTNEED on a
read-only file mapping only forgets the pages; a later read faults them back in).

A disk-full (or any other OSError) while writing raises CorpusError with a sentence a
person can act on. Spill directories are removed by SpillDir.close(), when their owner
is garbage-collected, or at interpreter exit (weakref.finalize); a SIGKILLed process
leaves its "w2v-corpus-*" directory behind in the temp dir.
"""
from __future__ import annotations

import errno
import logging
import mmap
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np

from .text_source import CorpusError

logger = logging.getLogger(__name__)

PREFIX = "w2v-corpus-"


def _corpus_error(message: str) -> Exception:
    return CorpusError(message)


def _remove_tree(path: str) -> None:
    try:
        shutil.rmtree(path)
        logger.debug("removed corpus spill dir %s", path)
    except FileNotFoundError:
        pass
    except OSError as e:  # a leftover temp dir is not worth failing for, but say so
        logger.warning("could not remove corpus spill dir %s: %s", path, e)


class SpillDir:
    """A private temporary directory holding one scan's (and its encodings') arrays."""

    def __init__(self, path: Path):
        self.path = path
        self._finalizer = weakref.finalize(self, _remove_tree, str(path))  # also runs at exit

    @classmethod
    def create(cls, parent: str | os.PathLike | None = None) -> SpillDir:
        try:
            if parent is not None:
                Path(parent).mkdir(parents=True, exist_ok=True)
            return cls(Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent)))
        except OSError as e:
            raise _corpus_error(f"cannot create a temporary folder for the corpus in "
                                f"{parent or tempfile.gettempdir()}: {e.strerror or e}") from e

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Delete the directory now (open memmaps stay readable on Linux until dropped)."""
        self._finalizer()


def _write_error(path: Path, e: OSError) -> Exception:
    where = path.parent
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        try:
            free = shutil.disk_usage(where).free / 2**20
            room = f" ({free:.0f} MB free there)"
        except OSError:
            room = ""
        return _corpus_error(
            f"the disk is full: writing the encoded corpus to {where} failed{room}. It needs about 4 bytes per "
            f"word of text; free some space, or point the temporary folder (TMPDIR) at a bigger disk")
    return _corpus_error(f"could not write the encoded corpus to {where}: {e.strerror or e}")


class ArrayWriter:
    """Append 1-D arrays of one dtype to a .npy file; close() fixes the length in the header."""

    def __init__(self, path: str | os.PathLike, dtype):
        self.path, self.dtype, self.length = Path(path), np.dtype(dtype), 0
        try:
            self._f = open(self.path, "wb")
            self._header_len = self._write_header(0)
        except OSError as e:
            raise _write_error(self.path, e) from e

    def _write_header(self, n: int) -> int:
        start = self._f.tell()
        np.lib.format.write_array_header_1_0(
            self._f, {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": (n,)})
        return self._f.tell() - start

    def append(self, a: np.ndarray) -> None:
        a = np.ascontiguousarray(a, dtype=self.dtype)
        try:
            self._f.write(memoryview(a).cast("B"))
        except OSError as e:
            self._abort()
            raise _write_error(self.path, e) from e
        self.length += int(a.shape[0])

    def close(self) -> Path:
        if self._f.closed:
            return self.path
        try:
            self._f.seek(0)
            # numpy pads 1.0 headers so the shape can grow in place: the length must not change.
            if self._write_header(self.length) != self._header_len:
                raise RuntimeError("npy header changed size")  # cannot happen with numpy's padding
            self._f.close()
        except OSError as e:
            self._abort()
            raise _write_error(self.path, e) from e
        return self.path

    def _abort(self) -> None:
        try:
            self._f.close()
        except OSError:
            pass  # already failing; the caller raises the first error
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ArrayWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()


def open_array(path: str | os.PathLike) -> np.ndarray:
    """A read-only memory map of a .npy written by ArrayWriter (never unpickles)."""
    return np.load(path, mmap_mode="r", allow_pickle=False)


def release_pages(*arrays) -> None:
    """Forget the resident pages of memory-mapped arrays (no-op for in-memory arrays)."""
    for a in arrays:
        m = getattr(a, "_mmap", None)
        while m is None and isinstance(a, np.ndarray) and a.base is not None:
            a = a.base  # a slice of a memmap: the mapping lives on its base
            m = getattr(a, "_mmap", None)
        if m is None or not hasattr(m, "madvise"):
            continue
        try:
            m.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError) as e:  # closed map, or a platform without it: only memory is at stake
            logger.debug("madvise(DONTNEED) failed: %s", e)


class MemoryArray:
    """ArrayWriter's interface for corpora small enough to keep in memory."""

    def __init__(self, dtype):
        self.dtype, self.parts, self.length = np.dtype(dtype), [], 0

    def append(self, a: np.ndarray) -> None:
        self.parts.append(np.asarray(a, dtype=self.dtype))
        self.length += int(self.parts[-1].shape[0])

    def close(self) -> np.ndarray:
        out = np.concatenate(self.parts) if self.parts else np.zeros(0, self.dtype)
        self.parts = [out]
        return out


def writer(spill: SpillDir | None, name: str, dtype) -> ArrayWriter | MemoryArray:
    return ArrayWriter(spill.file(name), dtype) if spill is not None else MemoryArray(dtype)


def finish(w: ArrayWriter | MemoryArray) -> np.ndarray:
    """Close a writer and return its array (a read-only memmap for ArrayWriter)."""
    out = w.close()
    return open_array(out) if isinstance(w, ArrayWriter) else out


class ScanStore:
    """A scan's per-token provisional ids, sentence and line lengths, in blocks, in RAM or on disk.

    Blocks follow the read blocks (each ends at a line end), so encoding can work one
    block at a time. On disk, the three arrays are .npy files in `spill`.
    """

    def __init__(self, spill: SpillDir | None = None):
        self.spill = spill
        self._w = {k: writer(spill, f"scan-{k}.npy", np.int32) for k in ("pids", "sentences", "lines")}
        self.pid_bounds: list[int] = [0]  # block b is pids[pid_bounds[b]:pid_bounds[b+1]]
        self.sentence_bounds: list[int] = [0]
        self.arrays: dict[str, np.ndarray] = {}

    @property
    def on_disk(self) -> bool:
        return self.spill is not None

    def add_block(self, pids: np.ndarray, sentence_lengths: np.ndarray, line_lengths: np.ndarray) -> None:
        for k, a in (("pids", pids), ("sentences", sentence_lengths), ("lines", line_lengths)):
            self._w[k].append(a)
        self.pid_bounds.append(self._w["pids"].length)
        self.sentence_bounds.append(self._w["sentences"].length)

    def finish(self) -> ScanStore:
        self.arrays = {k: finish(w) for k, w in self._w.items()}
        return self

    def discard(self) -> None:
        """Drop a half-written store (error or cancel): close files, remove the directory."""
        for w in self._w.values():
            if isinstance(w, ArrayWriter):
                w._abort()
        if self.spill is not None:
            self.spill.close()

    @property
    def n_blocks(self) -> int:
        return len(self.pid_bounds) - 1

    def blocks(self, release: bool = True):
        """(pids, sentence lengths) per block; with release, mapped pages are dropped behind the reader."""
        pids, sent = self.arrays["pids"], self.arrays["sentences"]
        for b in range(self.n_blocks):
            p0, p1 = self.pid_bounds[b], self.pid_bounds[b + 1]
            s0, s1 = self.sentence_bounds[b], self.sentence_bounds[b + 1]
            yield np.asarray(pids[p0:p1]), np.asarray(sent[s0:s1])
            if release and self.on_disk and b % 4 == 3:
                release_pages(pids, sent)
        if release:
            release_pages(pids, sent)
