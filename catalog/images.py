"""Checking uploaded photos before anything is stored: the format comes from the content."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp"}


class ImageRejected(ValueError):
    """The bytes are not a photo we accept; the message says why."""


def damaged(exc: Exception) -> str:
    return gettext("image data is damaged or truncated (%(reason)s)") % {"reason": exc}


@dataclass(frozen=True)
class ImageInfo:
    extension: str
    width: int
    height: int


def inspect_image(data: bytes, *, max_pixels: int | None = None) -> ImageInfo:
    """Describe ``data`` after checking it is a whole, sane image.

    The limits are the recognition engine's (``SHITU_MAX_IMAGE_PIXELS``, ``SHITU_MIN_IMAGE_SIDE``):
    a photo stored here must be one the engine will read; checkout passes its own, lower, pixel limit.

    Reads the header for format and size (cheap, catches decompression bombs before any
    pixel is decoded), then decodes once to catch truncated files.
    """
    if max_pixels is None:
        max_pixels = settings.SHITU_MAX_IMAGE_PIXELS
    if not data:
        raise ImageRejected(gettext("the file is empty"))
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            width, height = img.size
    except UnidentifiedImageError as exc:
        raise ImageRejected(gettext("not an image (JPEG, PNG, WebP or BMP expected)")) from exc
    except Image.DecompressionBombError as exc:
        # Pillow refuses headers over twice its own limit before we can read the size: name ours.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        if found:
            message = gettext("image declares %(count)s pixels, more than %(most)d pixels")
        else:
            message = gettext("image declares too many pixels, more than %(most)d pixels")
        raise ImageRejected(message % {"count": found.group(1) if found else "", "most": max_pixels}) from exc
    except Exception as exc:  # any decoder's own error (OSError, SyntaxError, struct.error, ...)
        raise ImageRejected(damaged(exc)) from exc
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected(
            gettext("image format %(format)s is not accepted (JPEG, PNG, WebP or BMP expected)")
            % {"format": fmt or gettext("unknown")}
        )
    if width * height > max_pixels:
        raise ImageRejected(
            gettext("image is %(width)dx%(height)d, more than %(most)d pixels")
            % {"width": width, "height": height, "most": max_pixels}
        )
    if min(width, height) < settings.SHITU_MIN_IMAGE_SIDE:
        raise ImageRejected(
            gettext("image is %(width)dx%(height)d; each side must be at least %(least)d pixels")
            % {"width": width, "height": height, "least": settings.SHITU_MIN_IMAGE_SIDE}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()
    except Exception as exc:  # truncated data, bad Huffman tables, broken chunks, Pillow's bomb guards
        raise ImageRejected(damaged(exc)) from exc
    return ImageInfo(ALLOWED_FORMATS[fmt], width, height)
