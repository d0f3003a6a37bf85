"""Decompression bombs: tiny files whose headers claim enormous pixel counts."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 32x32 JPEG whose frame header (SOF0) is rewritten to claim ``width`` x ``height``."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 60, 30)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)  # marker, length(2), precision(1), then H, W
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR (with a valid CRC) claims ``width`` x ``height`` grey pixels, with one tiny IDAT."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
