"""What a picture was made from, written into the picture.

Every SVG or PNG cnncalc writes carries the digest of its *source*: text that fully
determines the picture (a diagram's DOT text and format, a plot's numbers, labels and
options). `cnncalc check` then knows whether a committed picture is current by comparing
digests, with no renderer installed and no dependence on the renderer's version (two
Graphviz or matplotlib releases draw the same source in different bytes).

- SVG: an XML comment `<!-- cnncalc-source sha256:HEX -->` after the XML declaration.
- PNG: a `tEXt` chunk with the keyword `cnncalc-source` right after `IHDR` (PNG spec 11.3.4).
Stamping again replaces the old stamp, so stamping is idempotent.
"""
from __future__ import annotations

import hashlib
import re
import struct
import zlib

KEYWORD = "cnncalc-source"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_STAMP = re.compile(rb"<!-- cnncalc-source sha256:([0-9a-f]{64}) -->\n?")
_XML_DECLARATION = re.compile(rb"\A(\xef\xbb\xbf)?<\?xml[^>]*\?>\s*")
_SVG_HEAD = 4096  # the stamp sits in the file's first bytes; never scan a whole big file
_PNG_CHUNKS = 64  # chunks read before giving up on finding the stamp


def digest(source: str) -> str:
    """The SHA-256 of `source` (UTF-8), as 64 hex digits."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def stamp(data: bytes, fmt: str, source: str) -> bytes:
    """`data` (an SVG or PNG file's bytes, `fmt` 'svg' or 'png') with `digest(source)`."""
    if fmt == "svg":
        return _stamp_svg(data, digest(source))
    if fmt == "png":
        return _stamp_png(data, digest(source))
    raise ValueError(f"cannot stamp format {fmt!r}; expected svg or png")


def read_stamp(data: bytes) -> str | None:
    """The digest a picture was stamped with, or None (not a picture cnncalc made, or one
    it cannot read)."""
    if data.startswith(PNG_SIGNATURE):
        return _read_png(data)
    found = _SVG_STAMP.search(data[:_SVG_HEAD])
    return found.group(1).decode() if found else None


def _stamp_svg(data: bytes, hex_digest: str) -> bytes:
    data = _SVG_STAMP.sub(b"", data, count=1)
    line = f"<!-- {KEYWORD} sha256:{hex_digest} -->\n".encode()
    declaration = _XML_DECLARATION.match(data)
    at = declaration.end() if declaration else 0
    return data[:at] + line + data[at:]


def _chunks(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """(offset, type, body) of each chunk, up to IEND or `_PNG_CHUNKS` of them; raises
    ValueError on a truncated file."""
    found: list[tuple[int, bytes, bytes]] = []
    at = len(PNG_SIGNATURE)
    while at < len(data) and len(found) < _PNG_CHUNKS:
        if at + 8 > len(data):
            raise ValueError("truncated PNG chunk header")
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if at + 12 + length > len(data):
            raise ValueError("truncated PNG chunk")
        found.append((at, kind, data[at + 8:at + 8 + length]))
        at += 12 + length
        if kind == b"IEND":
            break
    return found


def _text_chunk(hex_digest: str) -> bytes:
    body = KEYWORD.encode("latin-1") + b"\0" + hex_digest.encode("ascii")
    return struct.pack(">I", len(body)) + b"tEXt" + body + \
        struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)


def _is_stamp(kind: bytes, body: bytes) -> bool:
    return kind == b"tEXt" and body.startswith(KEYWORD.encode("latin-1") + b"\0")


def _stamp_png(data: bytes, hex_digest: str) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    chunks = _chunks(data)
    if not chunks or chunks[0][1] != b"IHDR":
        raise ValueError("a PNG file starts with its IHDR chunk")
    for offset, kind, body in chunks:
        if _is_stamp(kind, body):  # drop the old stamp
            data = data[:offset] + data[offset + 12 + len(body):]
            break
    after_header = chunks[0][0] + 12 + len(chunks[0][2])
    return data[:after_header] + _text_chunk(hex_digest) + data[after_header:]


def _read_png(data: bytes) -> str | None:
    try:
        chunks = _chunks(data)
    except ValueError:
        return None
    for _, kind, body in chunks:
        if _is_stamp(kind, body):
            value = body.split(b"\0", 1)[1]
            return value.decode("ascii") if re.fullmatch(rb"[0-9a-f]{64}", value) else None
    return None


__all__ = ["digest", "read_stamp", "stamp"]
