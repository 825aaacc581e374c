"""Bytes -> text, one way for the whole project: BOMs, UTF-16 without a BOM, fallbacks, and the binary rule.

    from trainer.textdecode import decode_with_fallback, sniff_encoding, binary_problem

    text, encoding = decode_with_fallback(raw)          # 'utf-8', 'utf-8-sig', 'utf-16', 'cp1252', ...
    enc = sniff_encoding(raw[:SNIFF_BYTES])             # from a BOM or a UTF-16 NUL pattern, else None
    problem = binary_problem(text_sample, "photo.txt")  # None for text, else the sentence that refuses it

Order of decisions, shared by the corpus scanner (trainer.text_source), uploads (trainer.ingest), the data
report and the CLI:

1. A byte-order mark wins: UTF-32 LE/BE ('utf-32'), UTF-8 ('utf-8-sig'), UTF-16 LE/BE ('utf-16').
2. No BOM, but NUL bytes in every other position of the head -> UTF-16 LE or BE without a BOM (text in
   Latin, Greek or Cyrillic scripts has a zero high byte in almost every code unit).
3. Otherwise UTF-8, else cp1252 (Windows "ANSI", the usual non-UTF-8 text), else latin-1 (decodes anything).

Then ONE rule decides whether the decoded head is text at all (`binary_problem`): if more than
BINARY_SHARE of its characters (and at least MIN_CONTROL) are control characters (NUL and the other C0/C1
controls except tab, line breaks and form feed; U+FFFD from an undecodable byte), the input is refused with
one sentence. Images,
executables, archives and PDF/Word files all land far above the threshold (random bytes: ~25%); real text,
even with stray control characters, far below it.
"""
from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

FALLBACK_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # tried in order when no BOM or NUL pattern decides
SNIFF_BYTES = 64 * 1024  # the head that decides BOM-less UTF-16 and the binary rule
BINARY_SHARE = 0.10  # more control characters than this share of the head -> not text
MIN_CONTROL = 4  # ... and at least this many (a three-byte file with one ^Z is a tiny text, not a binary)
# Why these: C0 controls except \t \n \v \f \r, DEL, C1 controls (only appear when latin-1 decoded bytes that
# are invalid in UTF-8 and cp1252), and U+FFFD (a byte no decoder could read).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
UTF16_NUL_SHARE = 0.3  # at least this share of one byte position must be NUL ...
UTF16_OTHER_MAX = 0.02  # ... and at most this share of the other


def bom_encoding(head: bytes) -> str | None:
    """The codec named by a byte-order mark at the start of head ('utf-16' etc. consume the BOM), or None."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    return None


def sniff_encoding(head: bytes) -> str | None:
    """A BOM's codec, or 'utf-16-le'/'utf-16-be' for BOM-less UTF-16 recognised by its NULs, else None."""
    enc = bom_encoding(head)
    if enc:
        return enc
    sample = head[: SNIFF_BYTES - (SNIFF_BYTES % 2)]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    n_even, n_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if n_odd >= UTF16_NUL_SHARE and n_even <= UTF16_OTHER_MAX:
        enc = "utf-16-le"  # 'a' is 61 00
    elif n_even >= UTF16_NUL_SHARE and n_odd <= UTF16_OTHER_MAX:
        enc = "utf-16-be"  # 'a' is 00 61
    else:
        return None
    try:  # the NUL pattern alone could be a binary table: the head must decode as UTF-16 too
        codecs.getincrementaldecoder(enc)().decode(sample)
    except UnicodeDecodeError:
        return None
    return enc


def detect_encoding(blocks: Callable[[], Iterable[bytes]]) -> str:
    """The encoding to read a text with; blocks() yields its bytes and is called once per attempt.

    A BOM or the UTF-16 NUL pattern is trusted without reading further (a damaged character later becomes
    U+FFFD, which the binary rule counts); otherwise the first fallback that decodes every block wins.
    Streams: memory stays at one block whatever the size of the text.
    """
    head = b""
    for chunk in blocks():
        head += chunk[: SNIFF_BYTES - len(head)]
        if len(head) >= SNIFF_BYTES:
            break
    sniffed = sniff_encoding(head)
    if sniffed:
        return sniffed
    for enc in FALLBACK_ENCODINGS:
        if enc == "latin-1":
            return enc  # decodes any byte: no need to read the text again
        dec = codecs.getincrementaldecoder(enc)()
        try:
            for chunk in blocks():
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"  # pragma: no cover - the loop always returns at latin-1


def decode_with_fallback(data: bytes) -> tuple[str, str]:
    """(text, encoding) of in-memory bytes by the module's order of decisions; the BOM is dropped."""
    enc = detect_encoding(lambda: (data,))
    return data.decode(enc, errors="replace"), enc


def is_guess(encoding: str) -> bool:
    """True for the 8-bit fallbacks (cp1252, latin-1): a guess the user should confirm, unlike UTF-8/16/32."""
    return not encoding.lower().replace("_", "-").startswith("utf")


def decode_head(head: bytes, encoding: str) -> str:
    """The text of the first bytes of a file, which may end inside a character (that part is dropped)."""
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)


def control_share(text: str) -> tuple[int, int]:
    """(control characters, characters) of text, by CONTROL_CHARS."""
    return len(CONTROL_CHARS.findall(text)), len(text)


def is_binary(control_chars: int, chars: int) -> bool:
    """THE rule: more than BINARY_SHARE of the characters (and at least MIN_CONTROL) are control characters."""
    return control_chars >= MIN_CONTROL and control_chars > BINARY_SHARE * chars


def binary_sentence(name: str, control_chars: int, chars: int) -> str:
    """The one sentence every layer (library, CLI, app) uses to refuse binary input."""
    return (f"{name} does not look like text: {control_chars / chars:.0%} of its first {chars:,} characters are "
            "control characters such as NUL bytes, as in an image, a program, an archive or a PDF/Word file. "
            "Save or export it as plain text (.txt) and use that file")


def binary_problem(text: str, name: str) -> str | None:
    """None when the decoded head `text` is text; otherwise the sentence refusing `name`."""
    n_control, n = control_share(text[:SNIFF_BYTES])
    if is_binary(n_control, n):
        logger.info("refusing %s: %d of %d characters are control characters", name, n_control, n)
        return binary_sentence(name, n_control, n)
    return None


def head_problem(head: bytes, encoding: str, name: str) -> str | None:
    """binary_problem for the first SNIFF_BYTES of a file read with `encoding` (what the scanner checks)."""
    return binary_problem(decode_head(head[:SNIFF_BYTES], encoding), name)


def bytes_problem(data: bytes, name: str) -> str | None:
    """The same check for in-memory bytes: detect the encoding as the scanner would, then apply the rule."""
    return head_problem(data[:SNIFF_BYTES], detect_encoding(lambda: (data,)), name)
