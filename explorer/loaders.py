r"""Loaders for word vector files: word2vec text/binary, GloVe text, Embedding Projector TSV, trainer runs.

    from explorer import load_vectors, load_word2vec, load_glove, load_projector, VectorsFormatError

    vec = load_vectors("vectors.bin")                          # format sniffed from the first line
    vec = load_vectors(upload.getvalue(), name=upload.name)    # bytes (a Streamlit upload) + display name
    vec = load_vectors("runs/demo")                            # a trainer run directory (or a RunResult)
    vec = load_glove("glove.6B.100d.txt", limit=50_000)        # only the 50,000 most frequent words
    vec = load_projector("vectors.tsv", "metadata.tsv")        # metadata optional, with or without header
    try:
        load_vectors(b"2 3\nking 1 2 3\n", name="bad.txt")
    except VectorsFormatError as e:                            # ValueError; e.source, e.line, e.problem
        print(e)   # bad.txt, line 1: the header says 2 words but the file has 1 vector lines

Sources are a path (str or os.PathLike; a str is always a path), bytes, or a binary/text file-like object;
gzip-compressed files (e.g. GoogleNews-vectors-negative300.bin.gz) are decompressed, within the byte cap.
Every loader checks: header counts against the body, ragged rows, non-numbers, NaN/inf, duplicate words,
invalid UTF-8, and the caps (DEFAULT_MAX_WORDS words unless `limit`/`max_words` say otherwise,
DEFAULT_MAX_BYTES bytes, vector_parsers.MAX_DIM dimensions). Errors name the file, the line (or binary entry) and the
problem; the parsing of each format is in explorer/vector_parsers.py.
"""
from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path
from typing import IO, Any, Union

from .vector_parsers import decode, is_number, parse_glove, parse_projector, parse_word2vec
from .vectors import Vectors, VectorsFormatError

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], IO[str]]

DEFAULT_MAX_WORDS = 1_000_000  # loaders refuse more words than this unless max_words/limit say otherwise
DEFAULT_MAX_BYTES = 2 * 1024**3  # and files larger than this
FORMATS = ("auto", "run", "word2vec", "glove", "projector")


def load_vectors(source: Any, name: str | None = None, *, format: str = "auto", binary: bool | None = None,
                 metadata: Source | None = None, metadata_name: str | None = None, limit: int | None = None,
                 max_words: int = DEFAULT_MAX_WORDS, max_bytes: int = DEFAULT_MAX_BYTES) -> Vectors:
    """Load vectors from any supported source; VectorsFormatError on malformed input.

    format: "auto" (sniffed from the first line), "run" (directory or RunResult), "word2vec" (text or binary,
    `binary` forces one), "glove" (word + numbers, no header) or "projector" (vectors.tsv; `metadata` is the
    optional metadata.tsv). limit: read only the first `limit` words (the most frequent); without it a file
    holding more than max_words words is refused.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    if format == "run" or (format == "auto" and _is_run(source)):
        vec = Vectors.from_run(source, name)
        return vec.top(limit) if limit else vec
    data, name = _read_source(source, name, max_bytes)
    if format == "auto":
        format = detect_format(data, name)
    if format == "word2vec":
        return parse_word2vec(data, name, binary, limit, max_words)
    if format == "glove":
        return parse_glove(data, name, limit, max_words)
    meta_data = None
    if metadata is not None:
        meta_data, metadata_name = _read_source(metadata, metadata_name, max_bytes)
    return parse_projector(data, name, meta_data, metadata_name or "metadata.tsv", limit, max_words)


def load_word2vec(source: Source, name: str | None = None, *, binary: bool | None = None,
                  limit: int | None = None, max_words: int = DEFAULT_MAX_WORDS) -> Vectors:
    """word2vec format ("V dim" header line); binary=None sniffs text vs binary."""
    return load_vectors(source, name, format="word2vec", binary=binary, limit=limit, max_words=max_words)


def load_glove(source: Source, name: str | None = None, *, limit: int | None = None,
               max_words: int = DEFAULT_MAX_WORDS) -> Vectors:
    """GloVe text: `word v1 ... vd` per line, no header."""
    return load_vectors(source, name, format="glove", limit=limit, max_words=max_words)


def load_projector(vectors_tsv: Source, metadata_tsv: Source | None = None, name: str | None = None,
                   metadata_name: str | None = None, *, limit: int | None = None,
                   max_words: int = DEFAULT_MAX_WORDS) -> Vectors:
    """Embedding Projector vectors.tsv (tab-separated numbers) + optional metadata.tsv.

    metadata.tsv: one label per line (no header) or, with several tab-separated columns, a header row naming
    them; the label column is `word`/`label`/... (else the first), a `count` column becomes the counts.
    A one-column file with one line more than vectors.tsv whose first line is `word` is read as having a header.
    Without metadata the words are the row numbers "0", "1", ...
    """
    return load_vectors(vectors_tsv, name, format="projector", metadata=metadata_tsv,
                        metadata_name=metadata_name, limit=limit, max_words=max_words)


def detect_format(data: bytes, name: str = "<data>") -> str:
    """"word2vec", "glove" or "projector" from the first line; VectorsFormatError if none fits."""
    nl = data.find(b"\n", 0, 1 << 20)
    first = data[: nl if nl >= 0 else 1 << 20]
    try:
        text = first.decode("utf-8-sig").strip("\r\n")
    except UnicodeDecodeError:
        raise VectorsFormatError(name, "cannot tell the format: the first line is not UTF-8 text", 1) from None
    fields = text.split()
    if len(fields) == 2 and "\t" not in text and all(f.isdigit() for f in fields):
        return "word2vec"
    if fields and all(is_number(f) for f in fields):
        return "projector"
    if len(fields) >= 2 and all(is_number(f) for f in fields[1:]):
        return "glove"
    if fields and not any(is_number(f) for f in fields):
        problem = "no numbers on the first line (is this a metadata.tsv? load it together with its vectors.tsv)"
    else:
        problem = "cannot tell the format"
    raise VectorsFormatError(name, problem + "; expected a 'V dim' header (word2vec), 'word n1 n2 ...' (GloVe) "
                             "or tab-separated numbers (Embedding Projector vectors.tsv)", 1)


# =================================================================== internals
def _is_run(source: Any) -> bool:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).is_dir()
    return all(hasattr(source, a) for a in ("words", "vectors", "counts"))


def _read_source(source: Any, name: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), name or "<upload>"
    elif isinstance(source, (str, os.PathLike)):
        p = Path(source)
        name = name or str(p)
        if p.is_dir():
            raise VectorsFormatError(name, "is a directory, not a vectors file")
        if p.is_file() and p.stat().st_size > max_bytes:
            raise VectorsFormatError(name, f"file is {p.stat().st_size:,} bytes; the limit is {max_bytes:,}")
        data = p.read_bytes()
    elif hasattr(source, "read"):
        raw = source.read()
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        name = name or str(getattr(source, "name", "<stream>"))
    else:
        raise TypeError(f"cannot read vectors from {type(source).__name__}; give a path, bytes or a file object")
    if data[:2] == b"\x1f\x8b":  # gzip
        data = _gunzip(data, name, max_bytes)
    if len(data) > max_bytes:
        raise VectorsFormatError(name, f"file is {len(data):,} bytes; the limit is {max_bytes:,}")
    return data, name


GZIP_CHUNK = 1 << 20


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes | bytearray:
    """Decompress gzip data (all members), never holding more than max_bytes of output.

    Two streamed passes: the first only counts (one GZIP_CHUNK in memory at a time) and refuses past the cap,
    so a small file that would inflate to many GB is refused without inflating it into memory; the second
    fills a buffer of exactly the counted size (no doubling growth, no extra copy).
    """
    try:
        total = 0
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            while piece := g.read(min(GZIP_CHUNK, max_bytes - total + 1)):
                total += len(piece)
                if total > max_bytes:
                    raise VectorsFormatError(name, f"decompresses to more than the limit of {max_bytes:,} bytes")
        out = bytearray(total)
        view, pos = memoryview(out), 0
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            while pos < total and (n := g.readinto(view[pos:pos + GZIP_CHUNK])):
                pos += n
        return out
    except (gzip.BadGzipFile, zlib.error, EOFError, OSError) as e:
        raise VectorsFormatError(name, f"damaged gzip data ({e})") from None


def read_text(source: Source, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, str]:
    """(text, display name) of a path/bytes/file-like source, decoded as UTF-8 (BOM dropped)."""
    data, name = _read_source(source, name, max_bytes)
    return decode(data, name), name
