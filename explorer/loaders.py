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
DEFAULT_MAX_BYTES bytes, MAX_DIM dimensions). Errors name the file, the line (or binary entry) and the problem.
"""
from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from pathlib import Path
from typing import IO, Any, Union

import numpy as np

from .vectors import Vectors, VectorsFormatError

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], IO[str]]

DEFAULT_MAX_WORDS = 1_000_000  # loaders refuse more words than this unless max_words/limit say otherwise
DEFAULT_MAX_BYTES = 2 * 1024**3  # and files larger than this
MAX_DIM = 10_000
MAX_WORD_BYTES = 10_000  # a binary word2vec word longer than this means the file is not what it claims
FORMATS = ("auto", "run", "word2vec", "glove", "projector")
_HEADER_WORDS = ("word", "words", "label", "labels", "token", "name")
_COUNT_COLUMNS = ("count", "counts", "frequency", "freq")


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
        return _load_word2vec(data, name, binary, limit, max_words)
    if format == "glove":
        return _load_glove(data, name, limit, max_words)
    meta_data = None
    if metadata is not None:
        meta_data, metadata_name = _read_source(metadata, metadata_name, max_bytes)
    return _load_projector(data, name, meta_data, metadata_name or "metadata.tsv", limit, max_words)


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
    if fields and all(_is_number(f) for f in fields):
        return "projector"
    if len(fields) >= 2 and all(_is_number(f) for f in fields[1:]):
        return "glove"
    if fields and not any(_is_number(f) for f in fields):
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
    return _decode(data, name), name


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise VectorsFormatError(name, f"not valid UTF-8 (byte {data[e.start:e.start + 1]!r})", line) from None


def _lines(text: str) -> list[str]:
    """Lines without their \\n or \\r\\n; trailing empty lines dropped (other empty lines kept, to be reported)."""
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def _is_number(s: str) -> bool:
    return _NUMBER.fullmatch(s) is not None


def _parse_numbers(rows: list[str], first_line: int, dim: int, name: str, after_word: bool) -> np.ndarray:
    """rows of whitespace-separated numbers (line first_line + i) -> float32 [len(rows), dim], finite."""
    if not rows:
        return np.empty((0, dim), np.float32)
    try:
        m = np.loadtxt(rows, dtype=np.float32, ndmin=2, comments=None)  # C parser; skips blank rows
        ok = m.shape == (len(rows), dim)
    except ValueError:
        ok = False
    if not ok:  # find and name the first bad line
        what = "numbers after the word" if after_word else "numbers"
        for i, row in enumerate(rows):
            fields = row.split()
            if not fields:
                raise VectorsFormatError(name, "empty line" if not after_word else f"no {what}", first_line + i)
            if len(fields) != dim:
                raise VectorsFormatError(name, f"ragged row: expected {dim} {what}, found {len(fields)}",
                                         first_line + i)
            for f in fields:
                try:
                    float(f)
                except ValueError:
                    raise VectorsFormatError(name, f"{f[:40]!r} is not a number", first_line + i) from None
        raise VectorsFormatError(name, "could not parse the numbers")  # pragma: no cover
    finite = np.isfinite(m).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise VectorsFormatError(name, "NaN or infinite value (or a number too large for float32)", first_line + i)
    return m


def _check_caps(name: str, n_words: int, dim: int, limit: int | None, max_words: int, line: int | None) -> None:
    if dim < 1 or dim > MAX_DIM:
        raise VectorsFormatError(name, f"{dim:,} dimensions; the limit is {MAX_DIM:,}", line)
    if limit is None and n_words > max_words:
        raise VectorsFormatError(name, f"{n_words:,} words is over the limit of {max_words:,}; "
                                 "pass limit=N to read only the N most frequent", line)


def _check_words(words: list[str], name: str, first_line: int | None) -> None:
    """Duplicate words are an error; first_line None means binary entries (numbered from 1)."""
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        j = seen.setdefault(w, i)
        if j != i:
            if first_line is None:
                raise VectorsFormatError(name, f"entry {i + 1}: duplicate word {w!r} (first at entry {j + 1})")
            raise VectorsFormatError(name, f"duplicate word {w!r} (first on line {j + first_line})", i + first_line)


def _split_words(lines: list[str], first_line: int, name: str) -> tuple[list[str], list[str]]:
    words, rests = [], []
    for i, line in enumerate(lines):
        word, sep, rest = line.partition(" ")
        if not sep or not word:
            problem = "empty line" if not line.strip() else "expected a word followed by numbers, separated by spaces"
            raise VectorsFormatError(name, problem, first_line + i)
        words.append(word)
        rests.append(rest)
    return words, rests


def _load_word2vec(data: bytes, name: str, binary: bool | None, limit: int | None, max_words: int) -> Vectors:
    nl = data.find(b"\n")
    header = data[: nl if nl >= 0 else len(data)].decode("utf-8-sig", errors="replace").split()
    if len(header) != 2 or not all(h.isdigit() for h in header):
        raise VectorsFormatError(name, f"expected a 'vocab_size dim' header, found {' '.join(header)[:60]!r}", 1)
    n_words, dim = int(header[0]), int(header[1])
    _check_caps(name, n_words, dim, limit, max_words, 1)
    n = n_words if limit is None else min(n_words, int(limit))
    body = nl + 1 if nl >= 0 else len(data)
    sniffed = binary is None
    if sniffed:
        binary = _looks_binary(data, body, dim)
    if binary:
        try:
            words, matrix = _parse_word2vec_binary(data, body, n_words, n, dim, name, check_end=limit is None)
        except VectorsFormatError:
            if sniffed and _is_utf8_prefix(data[body:body + 4096]):
                return _parse_word2vec_text(data, name, n_words, n, dim, limit)  # a text file with a bad first row
            raise
        return Vectors(words, matrix, name=name, meta={"format": "word2vec-binary"})
    return _parse_word2vec_text(data, name, n_words, n, dim, limit)


def _parse_word2vec_text(data: bytes, name: str, n_words: int, n: int, dim: int, limit: int | None) -> Vectors:
    lines = _lines(_decode(data, name))[1:]
    if len(lines) < n or (limit is None and len(lines) != n_words):
        raise VectorsFormatError(name, f"the header says {n_words:,} words but the file has {len(lines):,} "
                                 "vector lines", 1)
    words, rests = _split_words(lines[:n], 2, name)
    _check_words(words, name, 2)
    matrix = _parse_numbers(rests, 2, dim, name, after_word=True)
    return Vectors(words, matrix, name=name, meta={"format": "word2vec-text"})


def _is_utf8_prefix(chunk: bytes) -> bool:
    for cut in range(4):  # the chunk may end inside a multi-byte character
        try:
            chunk[: len(chunk) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _looks_binary(data: bytes, pos: int, dim: int) -> bool:
    end = data.find(b"\n", pos, pos + MAX_WORD_BYTES + 64 * dim)
    chunk = data[pos: end if end >= 0 else pos + MAX_WORD_BYTES + 64 * dim]
    try:
        fields = chunk.decode("utf-8").split()
    except UnicodeDecodeError:
        return True
    return not (len(fields) >= 2 and all(_is_number(f) for f in fields[1:]))


def _parse_word2vec_binary(data: bytes, pos: int, n_words: int, n: int, dim: int, name: str,
                           check_end: bool) -> tuple[list[str], np.ndarray]:
    size = len(data)
    words: list[str] = []
    offsets = np.empty(n, dtype=np.int64)
    for i in range(n):
        while pos < size and data[pos] == 10:  # entries may end with "\n"
            pos += 1
        where = f"entry {i + 1} (byte {pos})"
        if pos >= size:
            raise VectorsFormatError(name, f"the header says {n_words:,} words but the file ends after {i:,}")
        sp = data.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if sp < 0:
            raise VectorsFormatError(name, f"{where}: no space after the word; truncated, or not binary word2vec?")
        try:
            word = data[pos:sp].decode("utf-8")
        except UnicodeDecodeError:
            raise VectorsFormatError(name, f"{where}: the word is not valid UTF-8: {data[pos:sp][:40]!r}") from None
        if not word:
            raise VectorsFormatError(name, f"{where}: empty word")
        end = sp + 1 + 4 * dim
        if end > size:
            raise VectorsFormatError(name, f"{where}: the file ends inside the vector of {word!r} "
                                     f"(the header says {n_words:,} words of {dim} dims)")
        words.append(word)
        offsets[i] = sp + 1
        pos = end
    if check_end and data[pos:].strip():
        raise VectorsFormatError(name, f"the header says {n_words:,} words but more data follows entry {n:,} "
                                 f"(byte {pos})")
    matrix = np.empty((n, dim), dtype=np.float32)
    for i, off in enumerate(offsets):
        matrix[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=int(off))
    _check_words(words, name, None)
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise VectorsFormatError(name, f"entry {i + 1} ({words[i]!r}): NaN or infinite value")
    return words, matrix


def _load_glove(data: bytes, name: str, limit: int | None, max_words: int) -> Vectors:
    lines = _lines(_decode(data, name))
    if not lines:
        raise VectorsFormatError(name, "empty file")
    first = lines[0].split()
    if len(first) == 2 and all(f.isdigit() for f in first):
        raise VectorsFormatError(name, "line 1 looks like a word2vec 'V dim' header; load it as word2vec", 1)
    dim = len(first) - 1
    _check_caps(name, len(lines), dim, limit, max_words, None)
    if limit is not None:
        lines = lines[: int(limit)]
    words, rests = _split_words(lines, 1, name)
    _check_words(words, name, 1)
    matrix = _parse_numbers(rests, 1, dim, name, after_word=True)
    return Vectors(words, matrix, name=name, meta={"format": "glove"})


def _load_projector(data: bytes, name: str, meta: bytes | None, meta_name: str, limit: int | None,
                    max_words: int) -> Vectors:
    lines = _lines(_decode(data, name))
    if not lines:
        raise VectorsFormatError(name, "empty file")
    dim = len(lines[0].split())
    _check_caps(name, len(lines), dim, limit, max_words, None)
    n_total = len(lines)
    if limit is not None:
        lines = lines[: int(limit)]
    matrix = _parse_numbers(lines, 1, dim, name, after_word=False)
    if meta is None:
        # Placeholder words "0", "1", ...: meta["words_missing"] lets a UI say so instead of showing them as words.
        return Vectors([str(i) for i in range(len(lines))], matrix, name=name,
                       meta={"format": "projector", "words_missing": True})
    words, counts = _parse_metadata(_lines(_decode(meta, meta_name)), meta_name, n_total)
    n = len(lines)
    return Vectors(words[:n], matrix, None if counts is None else counts[:n], name=name,
                   meta={"format": "projector", "metadata": meta_name})


def _parse_metadata(lines: list[str], name: str, n: int) -> tuple[list[str], np.ndarray | None]:
    """Labels (and counts, when a count column exists) for n vectors."""
    multi = any("\t" in ln for ln in lines[:1])
    if multi:  # Projector rule: several columns -> the first row names them
        header = [h.strip().lower() for h in lines[0].split("\t")]
        word_col = next((i for i, h in enumerate(header) if h in _HEADER_WORDS), 0)
        count_col = next((i for i, h in enumerate(header) if h in _COUNT_COLUMNS), None)
        rows, first = lines[1:], 2
    else:
        word_col, count_col = 0, None
        has_header = len(lines) == n + 1 and lines[0].strip().lower() in _HEADER_WORDS
        rows, first = (lines[1:], 2) if has_header else (lines, 1)
    if len(rows) != n:
        raise VectorsFormatError(name, f"{len(rows):,} labels for {n:,} vectors (the counts must agree"
                                 f"{'; the first row is read as a header' if first == 2 else ''})")
    words: list[str] = []
    raw_counts: list[str] = []
    for i, row in enumerate(rows):
        cols = row.split("\t") if multi else [row]
        if multi and len(cols) != len(header):
            raise VectorsFormatError(name, f"ragged row: {len(cols)} columns, the header has {len(header)}",
                                     first + i)
        words.append(cols[word_col])
        if count_col is not None:
            raw_counts.append(cols[count_col].strip())
    _check_words(words, name, first)
    counts = None
    if count_col is not None and any(raw_counts):
        counts = np.empty(n, dtype=np.int64)
        for i, c in enumerate(raw_counts):
            if not c.isdigit():
                raise VectorsFormatError(name, f"count {c[:40]!r} is not a whole number", first + i)
            counts[i] = int(c)
    return words, counts
