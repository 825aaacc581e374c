"""Parsers behind explorer.loaders: bytes of one format -> Vectors, every problem a VectorsFormatError naming the
file, the line (or binary entry) and what is wrong. Use explorer.loaders (load_vectors & co.), which reads the
source, sniffs the format and applies the caps; these functions take the bytes it read.

    from explorer.vector_parsers import parse_word2vec, parse_glove, parse_projector
    vec = parse_word2vec(data, "vectors.bin", binary=None, limit=None, max_words=1_000_000)
"""
from __future__ import annotations

import re

import numpy as np

from .vectors import Vectors, VectorsFormatError

MAX_DIM = 10_000
MAX_WORD_BYTES = 10_000  # a binary word2vec word longer than this means the file is not what it claims
_HEADER_WORDS = ("word", "words", "label", "labels", "token", "name")
_COUNT_COLUMNS = ("count", "counts", "frequency", "freq")


def decode(data: bytes, name: str) -> str:
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


def is_number(s: str) -> bool:
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


def parse_word2vec(data: bytes, name: str, binary: bool | None, limit: int | None, max_words: int) -> Vectors:
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
    lines = _lines(decode(data, name))[1:]
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
    return not (len(fields) >= 2 and all(is_number(f) for f in fields[1:]))


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


def parse_glove(data: bytes, name: str, limit: int | None, max_words: int) -> Vectors:
    lines = _lines(decode(data, name))
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


def parse_projector(data: bytes, name: str, meta: bytes | None, meta_name: str, limit: int | None,
                    max_words: int) -> Vectors:
    lines = _lines(decode(data, name))
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
    words, counts = _parse_metadata(_lines(decode(meta, meta_name)), meta_name, n_total)
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
