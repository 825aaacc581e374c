"""Generators for the hostile-input suite: every damaged, binary or mis-encoded input is built here, in memory.

    from hostile_cases import damaged_zip, png_bytes, utf16_variants
    data = damaged_zip("bad_crc")            # a .zip whose member fails its CRC-32
    data = gzip_bomb(50 * 2**20)             # a few kB that inflate to 50 MB

No binary file is committed: each builder derives its bytes from a seed or from plain text, so a case can be
read in the source and regenerated anywhere.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import numpy as np

WORDS = ("the cat sat on the mat while the dog ran after a ball in the park near the old house "
         "and the children laughed at the birds singing in the tall green trees every morning").split()


def english(lines: int = 200, seed: int = 0) -> str:
    """Plain English-like text, one sentence a line."""
    rng = random.Random(seed)
    return "".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))) + "\n" for _ in range(lines))


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _patch(data: bytearray, local: tuple[int, bytes], central: tuple[int, bytes]) -> bytearray:
    """Overwrite a field in the first local header and the first central-directory entry alike."""
    i, j = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    (lo, lv), (co, cv) = local, central
    data[i + lo:i + lo + len(lv)] = lv
    data[j + co:j + co + len(cv)] = cv
    return data


def damaged_zip(kind: str, member: str = "story.txt") -> bytes:
    """A .zip whose one text member is damaged: 'bad_crc', 'overrun' (its header understates its size) or
    'method' (an unsupported compression method, 99 = AES, which zipfile cannot unpack)."""
    text = english(100).encode()
    if kind == "bad_crc":
        data = bytearray(make_zip({member: text}))
        crc = struct.pack("<I", zlib.crc32(text) ^ 0xFFFF)
        return bytes(_patch(data, (14, crc), (16, crc)))
    if kind == "overrun":
        data = bytearray(make_zip({member: text}, zipfile.ZIP_STORED))
        small = struct.pack("<I", 100)
        return bytes(_patch(data, (22, small), (24, small)))
    if kind == "method":
        data = bytearray(make_zip({member: text}))
        m = struct.pack("<H", 99)
        return bytes(_patch(data, (8, m), (10, m)))
    raise ValueError(kind)


def deflate_stream(n_bytes: int, fill: bytes = b"word ", wbits: int = 31) -> bytes:
    """n_bytes of a repeated pattern, compressed (gzip wrapper by default) without holding them in memory."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = fill * (1 << 20 // len(fill))
    out, left = [], n_bytes
    while left > 0:
        piece = block[:left]
        out.append(c.compress(piece))
        left -= len(piece)
    out.append(c.flush())
    return b"".join(out)


def gzip_bomb(n_bytes: int) -> bytes:
    """A small .gz that inflates to n_bytes of text."""
    return deflate_stream(n_bytes)


def zip_bomb_lying(n_bytes: int, claimed: int = 1000, member: str = "big.txt") -> bytes:
    """A .zip whose member inflates to n_bytes while both headers claim `claimed` bytes."""
    raw = deflate_stream(n_bytes, wbits=-15)
    crc = 0
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, b"x")  # a real entry, patched below to hold the bomb
    data = bytearray(buf.getvalue())
    i, j = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    n_name = struct.unpack("<H", data[i + 26:i + 28])[0]
    n_extra = struct.unpack("<H", data[i + 28:i + 30])[0]
    start = i + 30 + n_name + n_extra
    old_size = struct.unpack("<I", data[i + 18:i + 22])[0]
    data[start:start + old_size] = raw
    shift = len(raw) - old_size
    sizes = struct.pack("<III", crc, len(raw), claimed)
    data[i + 14:i + 26] = sizes
    j += shift
    data[j + 16:j + 28] = sizes
    e = data.rfind(b"PK\x05\x06")
    data[e + 16:e + 20] = struct.pack("<I", j)  # central directory offset
    return bytes(data)


def png_bytes(seed: int = 1, size: int = 20_000) -> bytes:
    """A PNG-shaped file: the signature, an IHDR chunk and compressed noise as image data."""
    rng = np.random.default_rng(seed)
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    idat = zlib.compress(rng.integers(0, 256, size, dtype=np.uint8).tobytes())

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def elf_bytes(seed: int = 2) -> bytes:
    """An ELF-shaped executable: the header, zero padding and code-like noise (as the issue's /bin/ls)."""
    rng = np.random.default_rng(seed)
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 62, 1) + bytes(40)
    return header + bytes(2000) + rng.integers(0, 256, 8000, dtype=np.uint8).tobytes() + bytes(1000)


def random_bytes(n: int = 30_000, seed: int = 3) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


BINARY_INPUTS = {"png": png_bytes, "elf": elf_bytes, "random": random_bytes}

# text -> (bytes, the encoding the scanner must report)
UTF_VARIANTS = {
    "utf-8-sig": lambda t: (t.encode("utf-8-sig"), "utf-8-sig"),
    "utf-16-le-bom": lambda t: (b"\xff\xfe" + t.encode("utf-16-le"), "utf-16"),
    "utf-16-be-bom": lambda t: (b"\xfe\xff" + t.encode("utf-16-be"), "utf-16"),
    "utf-32-le-bom": lambda t: (b"\xff\xfe\x00\x00" + t.encode("utf-32-le"), "utf-32"),
    "utf-32-be-bom": lambda t: (b"\x00\x00\xfe\xff" + t.encode("utf-32-be"), "utf-32"),
    "utf-16-le-no-bom": lambda t: (t.encode("utf-16-le"), "utf-16-le"),
    "utf-16-be-no-bom": lambda t: (t.encode("utf-16-be"), "utf-16-be"),
}


def word2vec_text(rows: list[str], dim: int) -> bytes:
    return (f"{len(rows)} {dim}\n" + "".join(r + "\n" for r in rows)).encode()


# name -> (bytes, format, expected problem fragment, line)
MALFORMED_VECTORS = {
    "w2v-nan": (word2vec_text(["a 1 2 3", "b nan 2 3"], 3), "word2vec", "NaN or infinite", 3),
    "w2v-inf": (word2vec_text(["a 1 2 3", "b 1 inf 3"], 3), "word2vec", "NaN or infinite", 3),
    "w2v-overflow": (word2vec_text(["a 1 2 3", "b 1 1e39 3"], 3), "word2vec", "too large for float32", 3),
    "w2v-ragged-short": (word2vec_text(["a 1 2 3", "b 1 2"], 3), "word2vec", "ragged row: expected 3", 3),
    "w2v-ragged-long": (word2vec_text(["a 1 2 3", "b 1 2 3 4"], 3), "word2vec", "ragged row: expected 3", 3),
    "glove-nan": (b"a 1 2\nb NaN 2\n", "glove", "NaN or infinite", 2),
    "glove-ragged": (b"a 1 2\nb 1 2 3\nc 1 2\n", "glove", "ragged row: expected 2", 2),
    "projector-inf": (b"1\t2\n-inf\t2\n", "projector", "NaN or infinite", 2),
    "projector-ragged": (b"1\t2\n3\n", "projector", "ragged row: expected 2", 2),
    "w2v-not-number": (word2vec_text(["a 1 2 3", "b 1 two 3"], 3), "word2vec", "'two' is not a number", 3),
}


def word2vec_binary_nan() -> bytes:
    m = np.array([[1, 2], [np.nan, 1]], dtype="<f4")
    return b"2 2\n" + b"a " + m[0].tobytes() + b"\n" + b"b " + m[1].tobytes() + b"\n"


MARKUP_WORDS = ["<script>alert(1)</script>", "<b>bold</b>", "&amp;", "$x$", "<img/src=x/onerror=alert(1)>"]
