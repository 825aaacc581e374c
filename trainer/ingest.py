"""Uploaded files -> text sources on disk, with no Streamlit in sight (unit-tested on its own).

    from trainer.ingest import ingest_uploads
    got = ingest_uploads([("a.txt", b"..."), ("texts.zip", zip_bytes), ("reviews.csv", csv_bytes)],
                         dest=session_dir, csv_columns_chosen={"reviews.csv": "review"})
    got.sources      # [trainer.TextSource], each a file written under dest
    got.notes        # plain sentences about skipped members, chosen CSV columns, ...
    got.csv_choices  # {"reviews.csv": ["id", "review", ...]}: columns to offer in the UI
    got.csv_used     # {"reviews.csv": "review"}: the column read (the chosen one, else a guess)
    got.digest       # content hash of everything ingested: the corpus-scan cache key

Accepted: .txt and .md files; .txt.gz/.md.gz files; .zip archives of .txt/.md files (path traversal
rejected, nested archives skipped); .csv/.tsv files, of which one chosen text column is used (one row per
line). Archives are decompressed as a stream straight to dest and stopped at max_unzipped bytes (all
archives together), whatever their headers claim (trainer.archives). Every text goes through the same
decoding and binary rule as the trainer (trainer.textdecode): a file that is not text is refused with the
sentence the CLI and the data report use. Only dest is written to; a refused upload leaves no file behind.

Every problem is an IngestError (a CorpusError, so a ValueError) whose message names the file and says what
to change: ArchiveError / DamagedArchiveError (unreadable, unsafe or damaged archives), SizeLimitError (past
the cap), BinaryUploadError (not text).
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import textdecode
from .archives import (
    MAX_ZIP_MEMBERS,
    TEXT_SUFFIXES,
    ArchiveError,
    DamagedArchiveError,
    IngestError,
    SizeLimitError,
    extract_member,
    gunzip_to,
    open_zip,
    text_members,
)
from .text_source import BinaryInputError, TextSource

logger = logging.getLogger(__name__)

__all__ = ["ArchiveError", "BinaryUploadError", "DamagedArchiveError", "IngestError", "Ingested", "SizeLimitError",
           "MAX_UNZIPPED_BYTES", "MAX_ZIP_MEMBERS", "TEXT_SUFFIXES", "TABLE_SUFFIXES", "UPLOAD_TYPES",
           "content_digest", "csv_columns", "csv_text", "guess_text_column", "ingest_uploads", "read_zip",
           "safe_name"]

TABLE_SUFFIXES = (".csv", ".tsv")
UPLOAD_TYPES = ["txt", "md", "zip", "gz", "csv", "tsv"]  # for st.file_uploader(type=...)
MAX_UNZIPPED_BYTES = 500 * 1024**2  # all text members of all archives (and .gz files) together


class BinaryUploadError(IngestError, BinaryInputError):
    """An upload is not text (trainer.textdecode.binary_problem); same sentence as the trainer's refusal."""


@dataclass
class Ingested:
    sources: list[TextSource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    csv_choices: dict[str, list[str]] = field(default_factory=dict)
    csv_used: dict[str, str] = field(default_factory=dict)  # CSV name -> the column read
    digest: str = ""

    @property
    def total_bytes(self) -> int:
        return sum(s.size_bytes() for s in self.sources)


def content_digest(parts: Sequence[tuple[str, bytes]]) -> str:
    """Stable hash of (name, bytes) pairs, used as a cache key."""
    h = hashlib.sha256()
    for name, data in parts:
        h.update(name.encode("utf-8", "replace") + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:24]


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (the original name is shown, this one is stored)."""
    base = PurePosixPath(name.replace("\\", "/")).name or "file"
    base = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "file"
    return base[:80]


def _store(dest: Path, display: str, fill: Callable[[io.BufferedWriter], object]) -> tuple[TextSource, str] | None:
    """Write a text under dest via fill(file), streamed; name it by its hash; refuse it if it is not text.

    Returns the source (showing the original name) and the content hash, or None for a blank text (only
    whitespace). A refused, blank or failed write leaves nothing behind in dest.
    """
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".part-{os.getpid()}-{hashlib.sha256(display.encode('utf-8', 'replace')).hexdigest()[:12]}"
    h = hashlib.sha256()
    try:
        with open(tmp, "wb") as raw:
            fill(_HashingWriter(raw, h))
        src = TextSource(name=display, path=tmp)
        try:
            encoding = src.detect_encoding()  # the trainer's own check: upload and training never disagree
        except BinaryInputError as e:
            raise BinaryUploadError(str(e)) from None
        if tmp.stat().st_size <= textdecode.SNIFF_BYTES and not tmp.read_bytes().decode(encoding).strip():
            tmp.unlink()
            return None
        digest = h.hexdigest()
        path = dest / f"{digest[:16]}-{safe_name(display)}"
        if path.exists():
            tmp.unlink()
        else:
            tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return TextSource(name=display, path=path), digest


class _HashingWriter(io.RawIOBase):
    """A write-only file that hashes what passes through it."""

    def __init__(self, out: io.BufferedWriter, h) -> None:
        self.out, self.h = out, h

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.h.update(b)
        return self.out.write(b)


def read_zip(data: bytes, name: str, budget: int = MAX_UNZIPPED_BYTES) -> tuple[list[tuple[str, bytes]], list[str]]:
    """(member name, bytes) of the .txt/.md members, and notes on what was skipped (in memory, capped)."""
    with open_zip(data, name) as zf:
        wanted, skipped = text_members(zf, name, budget)
        members, used = [], 0
        for info, member in wanted:
            buf = io.BytesIO()
            used += extract_member(zf, info, name, member, buf, budget - used, data)
            members.append((member, buf.getvalue()))
    if not members:
        raise ArchiveError(f"{name} holds no .txt or .md files; put plain-text files in the archive")
    return members, _skipped_notes(name, skipped)


def _skipped_notes(name: str, skipped: list[str]) -> list[str]:
    if not skipped:
        return []
    shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
    return [f"{name}: skipped {len(skipped)} file(s) that are not .txt or .md ({shown})."]


def _decode(data: bytes, name: str) -> str:
    problem = textdecode.bytes_problem(data, name)
    if problem:
        raise BinaryUploadError(problem)
    return textdecode.decode_with_fallback(data)[0]


def _reader(text: str, name: str) -> csv.reader:
    if name.lower().endswith(".tsv"):
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    csv.field_size_limit(64 * 1024**2)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def csv_columns(data: bytes, name: str) -> list[str]:
    """The header row of a CSV/TSV file (empty names become 'column N')."""
    try:
        header = next(_reader(_decode(data, name), name), None)
    except csv.Error as e:
        raise IngestError(f"{name} is not a readable CSV file ({e}); save it again as CSV (comma-separated)") from None
    if not header or not any(h.strip() for h in header):
        raise IngestError(f"{name} has no header row; its first line should name the columns")
    return [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]


def guess_text_column(data: bytes, name: str, columns: list[str], sample_rows: int = 200) -> str:
    """The column with the longest average cell among the first rows: usually the text."""
    reader = _reader(_decode(data, name), name)
    next(reader, None)
    totals = [0] * len(columns)
    try:
        for i, row in enumerate(reader):
            if i >= sample_rows:
                break
            for j, cell in enumerate(row[: len(columns)]):
                totals[j] += len(cell)
    except csv.Error:
        pass
    return columns[max(range(len(columns)), key=lambda j: totals[j])]


def csv_text(data: bytes, name: str, column: str) -> str:
    """The chosen column as text, one row per line (line breaks inside a cell become spaces)."""
    columns = csv_columns(data, name)
    if column not in columns:
        raise IngestError(f"{name} has no column {column!r}; choose one of: {', '.join(columns)}")
    j = columns.index(column)
    reader = _reader(_decode(data, name), name)
    next(reader, None)
    out = []
    try:
        for row in reader:
            if j < len(row) and row[j].strip():
                out.append(" ".join(row[j].split()))
    except csv.Error as e:
        raise IngestError(f"{name}: row {len(out) + 2} cannot be read ({e}); check the quoting in the file") from None
    if not out:
        raise IngestError(f"{name}: the column {column!r} is empty; choose the column that holds the text")
    return "\n".join(out) + "\n"


@dataclass
class _Part:
    """What one upload contributed: kept in a small memo so a Streamlit rerun does not unpack it again."""
    sources: list[tuple[str, Path, str]] = field(default_factory=list)  # (display name, stored path, hash)
    notes: list[str] = field(default_factory=list)
    columns: list[str] | None = None  # CSV: the columns offered
    column: str | None = None  # CSV: the column read
    used: int = 0  # archive bytes unpacked, against the shared budget


_MEMO: dict[tuple, _Part] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 64


def ingest_uploads(uploads: Sequence[tuple[str, bytes]], dest: str | Path,
                   csv_columns_chosen: dict[str, str] | None = None,
                   max_unzipped: int = MAX_UNZIPPED_BYTES) -> Ingested:
    """Write every usable text of the uploads under dest; see the module docstring."""
    dest = Path(dest)
    chosen = csv_columns_chosen or {}
    got = Ingested()
    if not uploads:
        raise IngestError("no files uploaded yet; drop .txt, .md, .zip or .csv files in the box")
    budget = max_unzipped
    key_parts: list[tuple[str, str]] = []
    for name, data in uploads:
        key = (str(dest), name, hashlib.sha256(data).hexdigest(), budget, chosen.get(name))
        with _MEMO_LOCK:
            part = _MEMO.get(key)
        if part is None or not all(path.is_file() for _, path, _ in part.sources):
            part = _ingest_one(name, data, dest, budget, chosen.get(name))
            with _MEMO_LOCK:
                _MEMO[key] = part
                while len(_MEMO) > _MEMO_SIZE:
                    _MEMO.pop(next(iter(_MEMO)))
        budget -= part.used
        got.sources += [TextSource(name=display, path=path) for display, path, _ in part.sources]
        key_parts += [(display, digest) for display, _, digest in part.sources]
        got.notes += part.notes
        if part.columns is not None:
            got.csv_choices[name], got.csv_used[name] = part.columns, part.column
    if not got.sources:
        raise IngestError("none of the uploaded files holds any text; check that they are not empty")
    got.digest = content_digest([(display, digest.encode("ascii")) for display, digest in key_parts])
    return got


def _ingest_one(name: str, data: bytes, dest: Path, budget: int, chosen: str | None) -> _Part:
    part = _Part()

    def add(display: str, fill: Callable[[io.BufferedWriter], object]) -> None:
        stored = _store(dest, display, fill)
        if stored is None:
            part.notes.append(f"{display} is empty and was skipped.")
        else:
            part.sources.append((display, stored[0].path, stored[1]))

    lower = name.lower()
    suffix = PurePosixPath(lower).suffix
    if suffix in TEXT_SUFFIXES:
        add(name, lambda f: f.write(data))
    elif suffix == ".gz" and PurePosixPath(lower[:-3]).suffix in TEXT_SUFFIXES:
        def fill(f):
            part.used = gunzip_to(data, f, budget, name)
        add(name, fill)
    elif suffix == ".gz":
        raise IngestError(f"{name}: only compressed text files (.txt.gz or .md.gz) can be used; "
                          "unpack it and upload the text files")
    elif suffix == ".zip":
        _add_zip(data, name, budget, add, part)
    elif suffix in TABLE_SUFFIXES:
        text, column, encoding = _csv_source(data, name, chosen, part)
        add(f"{name} [{column}]", lambda f: f.write(text.encode(encoding)))
        part.notes.append(f"{name}: using the column {column!r}, one row per line.")
    else:
        raise IngestError(f"{name}: this file type cannot be used; upload .txt, .md, .zip or .csv files")
    return part


def _add_zip(data: bytes, name: str, budget: int, add, part: _Part) -> None:
    """Stream every text member of one archive to dest, counting the bytes against budget."""
    with open_zip(data, name) as zf:
        wanted, skipped = text_members(zf, name, budget)
        part.notes += _skipped_notes(name, skipped)
        for info, member in wanted:

            def fill(f, info=info, member=member):
                part.used += extract_member(zf, info, name, member, f, budget - part.used, data)
            add(f"{name}/{member}", fill)
    if not wanted:
        raise ArchiveError(f"{name} holds no .txt or .md files; put plain-text files in the archive")


def _csv_source(data: bytes, name: str, chosen: str | None, part: _Part) -> tuple[str, str, str]:
    """(text of the column, column, encoding to store it in) for a CSV/TSV upload.

    Text decoded by a guess (cp1252, latin-1) is stored in that encoding again, so the scan reports the same
    encoding, and the same warning, as for the same text uploaded as .txt; Unicode texts are stored as UTF-8.
    """
    columns = csv_columns(data, name)
    column = chosen if chosen in columns else guess_text_column(data, name, columns)
    part.columns, part.column = columns, column
    encoding = textdecode.decode_with_fallback(data)[1]
    return csv_text(data, name, column), column, encoding if textdecode.is_guess(encoding) else "utf-8"
