"""Image decoding with limits: bytes in, RGB uint8 HWC out, or a clear ``ImageError``."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MIN_SIDE = 16
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class ImageError(ValueError):
    """The bytes are not an image we accept (the message says why, for people)."""


def decode_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_side: int = MIN_SIDE,
) -> np.ndarray:
    """Decode ``data`` to an RGB uint8 array of shape (H, W, 3), at full resolution.

    The EXIF orientation is applied; grayscale, palette and CMYK images become RGB;
    images with transparency are composited onto white (product cut-outs usually have a
    transparent background).  Raises ``ImageError`` when the data is too large
    (``max_bytes``), not an image, declares more than ``max_pixels`` pixels in its header
    (checked before any pixel is decoded, so a decompression bomb costs nothing), is
    smaller than ``min_side`` pixels on a side, or is truncated/corrupt.
    """
    return decode_image_scaled(data, max_pixels=max_pixels, max_bytes=max_bytes, min_side=min_side)[0]


def decode_image_scaled(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_side: int = MIN_SIDE,
    max_side: int | None = None,
) -> tuple[np.ndarray, tuple[float, float]]:
    """``decode_image`` that may decode a large JPEG at 1/2, 1/4 or 1/8 scale (DCT scaling).

    With ``max_side``, a JPEG whose longest side exceeds it is decoded at the smallest such
    scale that keeps the longest side >= ``max_side`` (a 4032x3024 phone photo and
    ``max_side=1600`` decode at 2016x1512, about three times faster).  Returns the image and
    (sx, sy): multiply x and y of boxes found on it to get original-photo pixels.  Other
    formats, and ``max_side=None``, decode at full size with scale (1.0, 1.0).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageError(f"expected image bytes, got {type(data).__name__}")
    size = len(data)
    if size == 0:
        raise ImageError("empty file: not an image")
    if size > max_bytes:
        raise ImageError(f"image file too large: {size} bytes (limit {max_bytes} bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageError("not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard fired while reading the header; report our limit, not Pillow's.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{found.group(1)} pixels " if found else ""
        raise ImageError(f"image has too many pixels: {count}(limit {max_pixels} pixels)") from None
    except Exception as exc:
        raise ImageError(f"not a readable image: {exc}") from None
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(f"image has too many pixels: {width}x{height} (limit {max_pixels} pixels)")
    if width < min_side or height < min_side:
        raise ImageError(f"image too small: {width}x{height} (minimum {min_side} pixels on each side)")
    try:
        if max_side and img.format == "JPEG" and max(width, height) > max_side:
            ratio = max_side / max(width, height)
            img.draft(img.mode if img.mode in ("RGB", "L") else None, (int(width * ratio), int(height * ratio)))
        img.load()
        dec_w, dec_h = img.size
        sx, sy = width / dec_w, height / dec_h
        img = ImageOps.exif_transpose(img)
        if img.size != (dec_w, dec_h):  # rotated by 90 degrees: the axes swapped
            sx, sy = sy, sx
        return _to_rgb_array(img), (sx, sy)
    except Exception as exc:  # truncated data, bad Huffman tables, broken PNG chunks...
        raise ImageError(f"corrupt or truncated image: {exc}") from None


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    if img.mode == "RGB":
        return np.asarray(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "PA") or (img.mode in ("L", "I;16", "I", "F") and "transparency" in img.info):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, img).convert("RGB"))
    if img.mode in ("I;16", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if img.mode == "I;16" else max(float(arr.max()), 1.0)
        gray = np.clip(arr * (255.0 / peak), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    return np.asarray(img.convert("RGB"))


def read_image(path, **limits) -> np.ndarray:
    """Read a file and ``decode_image`` it (same limits and errors)."""
    with open(path, "rb") as fh:
        data = fh.read(limits.get("max_bytes", DEFAULT_MAX_BYTES) + 1)
    return decode_image(data, **limits)
