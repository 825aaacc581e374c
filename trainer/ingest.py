"""Uploaded files -> text sources on disk, with no Streamlit in sight (unit-tested on its own).

    from ui.ingest import ingest_uploads
    got = ingest_uploads([("a.txt", b"..."), ("texts.zip", zip_bytes), ("reviews.csv", csv_bytes)],
                         dest=session_dir, csv_columns={"reviews.csv": "review"})
    got.sources      # [trainer.TextSource], each a file written under dest
    got.notes        # plain sentences about skipped members, chosen CSV columns, ...
    got.csv_choices  # {"reviews.csv": ["id", "review", ...]}: columns to offer in the UI
    got.csv_used     # {"reviews.csv": "review"}: the column read (the chosen one, else a guess)
    got.digest       # content hash of everything ingested: the corpus-scan cache key

Accepted: .txt and .md files; .zip archives of .txt/.md files (path traversal rejected, total
uncompressed size capped); .csv/.tsv files, of which one chosen text column is used (one row per line).
Every problem is an IngestError (a ValueError) whose message says what to change.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from trainer import TextSource

TEXT_SUFFIXES = (".txt", ".md")
TABLE_SUFFIXES = (".csv", ".tsv")
UPLOAD_TYPES = ["txt", "md", "zip", "csv", "tsv"]  # for st.file_uploader(type=...)
MAX_UNZIPPED_BYTES = 500 * 1024**2  # all text members of all archives together
MAX_ZIP_MEMBERS = 10_000


class IngestError(ValueError):
    """An upload cannot be used; the message is a sentence for the user."""


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


def _write(dest: Path, display: str, data: bytes) -> TextSource:
    """Store data once under dest (named by its hash) and return a source showing the original name."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{hashlib.sha256(data).hexdigest()[:16]}-{safe_name(display)}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return TextSource(name=display, path=path)


def read_zip(data: bytes, name: str, budget: int = MAX_UNZIPPED_BYTES) -> tuple[list[tuple[str, bytes]], list[str]]:
    """(member name, bytes) of the .txt/.md members, and notes on what was skipped."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise IngestError(f"{name} is not a readable .zip archive; re-create it, or upload the text files "
                          "themselves") from None
    notes: list[str] = []
    members: list[tuple[str, bytes]] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise IngestError(f"{name} holds {len(infos):,} entries; the limit is {MAX_ZIP_MEMBERS:,}. "
                              "Split it into smaller archives.")
        for info in infos:
            p = PurePosixPath(info.filename.replace("\\", "/"))
            if info.filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", info.filename) or ".." in p.parts:
                raise IngestError(f"{name} contains an unsafe path ({info.filename!r}) that points outside the "
                                  "archive; re-create the archive from a normal folder")
        skipped: list[str] = []
        planned = 0
        wanted = []
        for info in infos:
            p = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or "__MACOSX" in p.parts or p.name.startswith("."):
                continue
            if p.suffix.lower() not in TEXT_SUFFIXES:
                skipped.append(p.name)
                continue
            if info.flag_bits & 0x1:
                raise IngestError(f"{name}: {p.name} is password-protected; upload an archive without a password")
            planned += info.file_size
            wanted.append((info, str(p)))
        if planned > budget:
            raise IngestError(f"{name} would unpack to {planned / 1e6:,.0f} MB of text; the limit is "
                              f"{budget / 1e6:,.0f} MB. Upload a smaller archive.")
        used = 0
        for info, member in wanted:
            with zf.open(info) as f:  # read at most the budget: the sizes in the header may lie
                blob = f.read(budget - used + 1)
            used += len(blob)
            if used > budget:
                raise IngestError(f"{name} unpacks to more than {budget / 1e6:,.0f} MB of text (the limit); "
                                  "upload a smaller archive")
            members.append((member, blob))
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        notes.append(f"{name}: skipped {len(skipped)} file(s) that are not .txt or .md ({shown}).")
    if not members:
        raise IngestError(f"{name} holds no .txt or .md files; put plain-text files in the archive")
    return members, notes


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


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
        header = next(_reader(_decode(data), name), None)
    except csv.Error as e:
        raise IngestError(f"{name} is not a readable CSV file ({e}); save it again as CSV (comma-separated)") from None
    if not header or not any(h.strip() for h in header):
        raise IngestError(f"{name} has no header row; its first line should name the columns")
    return [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]


def guess_text_column(data: bytes, name: str, columns: list[str], sample_rows: int = 200) -> str:
    """The column with the longest average cell among the first rows: usually the text."""
    reader = _reader(_decode(data), name)
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
    reader = _reader(_decode(data), name)
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
    key_parts: list[tuple[str, bytes]] = []
    for name, data in uploads:
        suffix = PurePosixPath(name.lower()).suffix
        if suffix in TEXT_SUFFIXES:
            if not data.strip():
                got.notes.append(f"{name} is empty and was skipped.")
                continue
            got.sources.append(_write(dest, name, data))
            key_parts.append((name, data))
        elif suffix == ".zip":
            members, notes = read_zip(data, name, budget)
            budget -= sum(len(b) for _, b in members)
            got.notes += notes
            for member, blob in members:
                if not blob.strip():
                    got.notes.append(f"{name}: {member} is empty and was skipped.")
                    continue
                display = f"{name}/{member}"
                got.sources.append(_write(dest, display, blob))
                key_parts.append((display, blob))
        elif suffix in TABLE_SUFFIXES:
            columns = csv_columns(data, name)
            got.csv_choices[name] = columns
            column = chosen.get(name) if chosen.get(name) in columns else guess_text_column(data, name, columns)
            got.csv_used[name] = column
            text = csv_text(data, name, column).encode("utf-8")
            display = f"{name} [{column}]"
            got.sources.append(_write(dest, display, text))
            key_parts.append((display, text))
            got.notes.append(f"{name}: using the column {column!r}, one row per line.")
        else:
            raise IngestError(f"{name}: this file type cannot be used; upload .txt, .md, .zip or .csv files")
    if not got.sources:
        raise IngestError("none of the uploaded files holds any text; check that they are not empty")
    got.digest = content_digest(key_parts)
    return got
