"""decode_image: RGB out, EXIF orientation, colour modes, and clear errors for bad input."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from recognition.engine.images import ImageError, decode_image
from tests.recognition.conftest import encode, pattern

LIMITS = {"max_pixels": 40_000_000, "max_bytes": 20 * 1024 * 1024}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature + IHDR declaring width x height, then a tiny IDAT and IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def test_rgb_png_round_trip_is_exact():
    img = pattern(1, size=64)
    out = decode_image(encode(img), **LIMITS)
    assert out.dtype == np.uint8 and out.shape == (64, 64, 3)
    assert np.array_equal(out, img)


def test_exif_orientation_is_applied():
    # Stored 40 wide x 20 high: left half red, right half blue.  Orientation 6 = "rotate 90 CW to
    # display", so the displayed photo is 20 wide x 40 high with red on top, blue at the bottom.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, format="JPEG", quality=95, exif=exif.tobytes())
    out = decode_image(buf.getvalue(), **LIMITS)
    assert out.shape == (40, 20, 3)
    top, bottom = out[5, 10].astype(int), out[35, 10].astype(int)
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_grayscale_becomes_three_equal_channels():
    gray = np.arange(32 * 32, dtype=np.uint8).reshape(32, 32)
    out = decode_image(encode(gray), **LIMITS)
    assert out.shape == (32, 32, 3)
    assert np.array_equal(out[:, :, 0], gray) and np.array_equal(out[:, :, 1], gray)
    assert np.array_equal(out[:, :, 2], gray)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[:16] = (10, 20, 30, 255)  # opaque top half
    rgba[16:] = (0, 0, 0, 0)  # transparent bottom half
    out = decode_image(encode(rgba), **LIMITS)
    assert out.shape == (32, 32, 3)
    assert tuple(out[0, 0]) == (10, 20, 30)
    assert tuple(out[31, 31]) == (255, 255, 255)


def test_palette_becomes_rgb():
    img = Image.fromarray(pattern(2, size=32)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    out = decode_image(buf.getvalue(), **LIMITS)
    assert out.shape == (32, 32, 3)
    assert np.array_equal(out, np.asarray(img.convert("RGB")))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text and not a photo" * 4, "not an image"),
        (encode(np.zeros((1, 1, 3), np.uint8)), "minimum 16 pixels"),
        (encode(np.zeros((8, 300, 3), np.uint8)), "too small: 300x8"),
        (png_header_only(30000, 30000), r"too many pixels: 900000000 pixels \(limit 40000000"),
    ],
    ids=["empty", "text", "1x1", "thin", "30000x30000-header"],
)
def test_bad_input_raises_clear_image_error(data, message):
    with pytest.raises(ImageError, match=message):
        decode_image(data, **LIMITS)


def test_truncated_jpeg_is_reported_as_truncated():
    full = encode(pattern(3, size=256), "JPEG", quality=95)
    with pytest.raises(ImageError, match="truncated"):
        decode_image(full[: len(full) // 2], **LIMITS)


def test_decompression_bomb_rejected_from_header_before_decoding():
    # 8000x8000 of zeros compresses to a small PNG but would be 192 MB decoded.
    bomb = encode(np.zeros((8000, 8000), np.uint8))
    assert len(bomb) < 1_000_000
    start = time.perf_counter()
    with pytest.raises(ImageError, match="too many pixels: 8000x8000 \\(limit 10000000"):
        decode_image(bomb, max_pixels=10_000_000, max_bytes=LIMITS["max_bytes"])
    assert time.perf_counter() - start < 0.2  # decoding 64 Mpx would take far longer


def test_too_many_bytes():
    data = encode(pattern(4, size=64))
    with pytest.raises(ImageError, match=f"too large: {len(data)} bytes \\(limit 100 bytes\\)"):
        decode_image(data, max_pixels=LIMITS["max_pixels"], max_bytes=100)


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_large_jpeg_decoded_at_reduced_scale_with_its_factors():
    from recognition.engine.images import decode_image_scaled

    big = encode(pattern(7, size=1600), "JPEG", quality=95)
    image, scale = decode_image_scaled(big, **LIMITS, max_side=700)
    assert image.shape == (800, 800, 3) and scale == (2.0, 2.0)  # 1/4 would be 400 < 700
    image, scale = decode_image_scaled(big, **LIMITS, max_side=None)
    assert image.shape == (1600, 1600, 3) and scale == (1.0, 1.0)
    png = encode(pattern(7, size=1600))
    assert decode_image_scaled(png, **LIMITS, max_side=700)[1] == (1.0, 1.0)  # only JPEG has DCT scaling


def test_reduced_scale_follows_exif_rotation():
    from recognition.engine.images import decode_image_scaled

    stored = np.zeros((1000, 2400, 3), np.uint8)  # 2400 wide, 1000 high
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, format="JPEG", exif=exif.tobytes())
    image, (sx, sy) = decode_image_scaled(buf.getvalue(), **LIMITS, max_side=1000)
    assert image.shape == (1200, 500, 3)  # displayed 1000 wide x 2400 high, decoded at 1/2
    assert (image.shape[1] * sx, image.shape[0] * sy) == (1000, 2400)
