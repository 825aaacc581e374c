"""Reading .zip and .gz uploads safely: streamed, capped, and every damage turned into a sentence.

    from trainer.archives import open_zip, text_members, extract_member, gunzip_to

    zf = open_zip(data, "texts.zip")                       # ArchiveError if it is no zip at all
    members, skipped = text_members(zf, "texts.zip", budget)   # [(ZipInfo, "dir/a.txt")], ["img.png"]
    n = extract_member(zf, info, "texts.zip", "dir/a.txt", out, cap)  # DamagedArchiveError, SizeLimitError
    n = gunzip_to(gz_bytes, out, cap, "notes.txt.gz")     # decompresses in 1 MiB steps, stops at the cap

Nothing is ever inflated whole into memory: decompression runs in CHUNK steps and stops one chunk past
the cap, so a 2 MB archive that would inflate to 4 GB costs at most the cap on disk and one chunk in
memory. The sizes an archive's headers claim are only used to refuse early; the cap is enforced on the
bytes actually produced, because headers can lie. Errors are IngestError subclasses (trainer.ingest) whose
message names the archive, the member and the problem.
"""
from __future__ import annotations

import gzip
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import BinaryIO

from .text_source import CorpusError

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes decompressed per step
MAX_ZIP_MEMBERS = 10_000
TEXT_SUFFIXES = (".txt", ".md")
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


class IngestError(CorpusError):
    """An upload cannot be used; the message is a sentence for the user (a ValueError, like CorpusError)."""


class ArchiveError(IngestError):
    """The upload is not a readable archive, or holds something unsafe (paths outside it, passwords)."""


class DamagedArchiveError(ArchiveError):
    """A member of an archive cannot be unpacked: bad CRC-32, sizes that lie, an unknown compression method."""


class SizeLimitError(IngestError):
    """Unpacking would produce more than the allowed number of bytes."""


def mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n:,} bytes"


def copy_capped(read: Callable[[int], bytes], out: BinaryIO, cap: int, what: str) -> int:
    """Copy read(CHUNK) pieces to out until EOF; SizeLimitError as soon as more than cap bytes came out."""
    total = 0
    while piece := read(min(CHUNK, cap - total + 1)):
        total += len(piece)
        if total > cap:
            raise SizeLimitError(f"{what} unpacks to more than {mb(cap)} of text (the limit); upload a smaller "
                                 "file or split it")
        out.write(piece)
    return total


def gunzip_to(data: bytes, out: BinaryIO, cap: int, name: str) -> int:
    """Decompress gzip data (all members) into out, streamed; ArchiveError if damaged, SizeLimitError past cap."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            return copy_capped(g.read, out, cap, name)
    except (gzip.BadGzipFile, zlib.error, EOFError, OSError) as e:
        logger.info("damaged gzip upload %s: %s", name, e)
        raise DamagedArchiveError(f"{name} is not a complete .gz file ({_reason(e)}); compress it again, or "
                                  "upload the text file itself") from None


def open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """The archive, or ArchiveError with a sentence when the bytes are not a readable zip."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        logger.info("unreadable zip upload %s: %s", name, e)
        raise ArchiveError(f"{name} is not a readable .zip archive; re-create it, or upload the text files "
                           "themselves") from None


def _unsafe(filename: str) -> bool:
    p = PurePosixPath(filename.replace("\\", "/"))
    return filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", filename) is not None or ".." in p.parts


def text_members(zf: zipfile.ZipFile, name: str, budget: int) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[str]]:
    """The .txt/.md members to read and the names of the files skipped; refuses unsafe archives up front."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ArchiveError(f"{name} holds {len(infos):,} entries; the limit is {MAX_ZIP_MEMBERS:,}. "
                           "Split it into smaller archives.")
    for info in infos:
        if _unsafe(info.filename):
            raise ArchiveError(f"{name} contains an unsafe path ({info.filename!r}) that points outside the "
                               "archive; re-create the archive from a normal folder")
    wanted, skipped, planned = [], [], 0
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or "__MACOSX" in p.parts or p.name.startswith("."):
            continue
        if p.suffix.lower() not in TEXT_SUFFIXES:
            skipped.append(p.name)  # nested archives included: they are never opened
            continue
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{name}: {p.name} is password-protected; upload an archive without a password")
        planned += info.file_size
        wanted.append((info, str(p)))
    if planned > budget:  # the headers' claim: refuse early (the real bytes are capped while reading)
        raise SizeLimitError(f"{name} would unpack to {mb(planned)} of text; the limit is {mb(budget)}. "
                             "Upload a smaller archive.")
    return wanted, skipped


def extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, member: str, out: BinaryIO,
                   cap: int, raw: bytes | None = None) -> int:
    """Copy one member into out, streamed and capped; read errors become DamagedArchiveError naming it.

    raw: the archive's bytes, used to tell a member whose data overruns its header from a plain bad CRC.
    Errors writing to out (a full disk) are not the archive's fault and pass through unchanged.
    """
    def fail(e: BaseException) -> DamagedArchiveError:
        logger.info("damaged member %s in %s: %r", member, name, e)
        return DamagedArchiveError(f"{name}: {member} {_member_problem(info, e, raw)}")

    try:
        f = zf.open(info)
    except _READ_ERRORS as e:
        raise fail(e) from None

    def read(n: int) -> bytes:
        try:
            return f.read(n)
        except _READ_ERRORS as e:
            raise fail(e) from None

    with f:
        return copy_capped(read, out, cap, f"{name}/{member}")


def _member_problem(info: zipfile.ZipInfo, e: BaseException, raw: bytes | None) -> str:
    if isinstance(e, NotImplementedError):
        method = zipfile.compressor_names.get(info.compress_type, f"method {info.compress_type}")
        return (f"is compressed with a method this app cannot unpack ({method}); re-create the archive with "
                "ordinary (deflate) compression")
    if isinstance(e, RuntimeError) and "password" in str(e).lower():
        return "is password-protected; upload an archive without a password"
    if "CRC" in str(e):
        actual = _actual_size(info, raw)
        if actual is not None and actual > info.file_size:
            return (f"holds more data than its header says ({info.file_size:,} bytes): the archive is damaged "
                    "or was tampered with; re-create it, or upload the text files themselves")
        return ("fails its CRC-32 check, so its data is damaged (an incomplete download?); re-create the archive, "
                "or upload the text files themselves")
    return (f"cannot be unpacked ({_reason(e)}): the archive is damaged; re-create it, or upload the text "
            "files themselves")


def _actual_size(info: zipfile.ZipInfo, raw: bytes | None) -> int | None:
    """Bytes the member really inflates to (capped at file_size + 1), read from its local header; None if unknown."""
    if raw is None or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    try:
        sig, *_, n_name, n_extra = struct.unpack("<4s5H3I2H", raw[info.header_offset:info.header_offset + 30])
        if sig != b"PK\x03\x04":
            return None
        start = info.header_offset + 30 + n_name + n_extra
        body = raw[start:start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            return len(body)
        return len(zlib.decompressobj(-15).decompress(body, info.file_size + 1))
    except (struct.error, zlib.error) as e:
        logger.info("cannot measure member %s: %s", info.filename, e)
        return None


def _reason(e: BaseException) -> str:
    text = str(e).strip().rstrip(".")
    return text[:120] or type(e).__name__
