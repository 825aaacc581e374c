"""Text sources: a file or in-memory text, read in blocks and decoded into line-ended text.

    from trainer.text_source import TextSource
    src = TextSource.from_path("sample_data/shakespeare.txt")     # or TextSource.from_text("the cat\n", "typed")
    enc = src.detect_encoding()                                    # 'utf-8' (BinaryInputError if not text)
    for block in src.text_blocks(enc):                             # str blocks, each ending at a line break
        ...

Files are read BLOCK_BYTES at a time, never whole. Encoding (trainer.textdecode, shared with
uploads and the data report): a BOM (UTF-8/16/32), else UTF-16 recognised by its NULs, else
UTF-8, else cp1252, else latin-1; the choice is remembered per file version. A source whose
head is mostly control characters (an image, a program...) is refused with BinaryInputError
before anything is counted. CorpusError is the one error type for unusable text.
"""
from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

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

