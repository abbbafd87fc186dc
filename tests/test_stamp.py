"""The stamp a picture carries of its source: written, read back, replaced, and the file
still a valid SVG or PNG for an independent reader."""
import hashlib
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

from cnncalc.stamp import digest, read_stamp, stamp

SVG = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ' \
      b'width="4" height="4"><rect width="4" height="4"/></svg>\n'


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + \
        struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png(width: int = 2, height: int = 2) -> bytes:
    """A grey-scale PNG made by hand from the PNG specification."""
    rows = b"".join(b"\0" + bytes(range(width)) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                            0, 0, 0, 0)) + \
        _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def _valid_chunks(data: bytes) -> list[bytes]:
    """Chunk types, each CRC checked as a PNG decoder does."""
    at, kinds = 8, []
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        at += 12 + length
    return kinds


def test_digest_is_sha256_of_the_utf8_text():
    assert digest("résumé") == hashlib.sha256("résumé".encode()).hexdigest()


def test_svg_stamp_reads_back_and_stays_valid_xml():
    stamped = stamp(SVG, "svg", "digraph { a -> b }")
    assert read_stamp(stamped) == digest("digraph { a -> b }")
    assert stamped.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- cnncalc-source')
    assert ET.fromstring(stamped).tag.endswith("svg")
    again = stamp(stamped, "svg", "other")
    assert read_stamp(again) == digest("other") and again.count(b"cnncalc-source") == 1
    assert stamp(again, "svg", "digraph { a -> b }") == stamped


def test_png_stamp_reads_back_with_every_crc_valid():
    stamped = stamp(_png(), "png", "plot data")
    assert read_stamp(stamped) == digest("plot data")
    assert _valid_chunks(stamped) == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    again = stamp(stamped, "png", "new data")
    assert read_stamp(again) == digest("new data")
    assert _valid_chunks(again) == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]


def test_an_unstamped_or_broken_file_has_no_stamp():
    assert read_stamp(SVG) is None
    assert read_stamp(_png()) is None
    assert read_stamp(stamp(_png(), "png", "x")[:40]) is None
    assert read_stamp(b"") is None
    with pytest.raises(ValueError):
        stamp(b"GIF89a", "png", "x")
    with pytest.raises(ValueError):
        stamp(SVG, "gif", "x")


def test_a_stamped_png_still_decodes_in_matplotlib():
    image = pytest.importorskip("matplotlib.image")
    import io
    pixels = image.imread(io.BytesIO(stamp(_png(3, 2), "png", "x")), format="png")
    assert pixels.shape[:2] == (2, 3)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_a_stamped_graphviz_svg_still_parses():
    svg = subprocess.run(["dot", "-Tsvg"], input=b"digraph { a -> b }", capture_output=True,
                         check=True, timeout=30).stdout
    stamped = stamp(svg, "svg", "s")
    assert read_stamp(stamped) == digest("s")
    ET.fromstring(stamped)
