"""Preprocessing exactly as the reference PP-ShiTu pipeline, vectorised and copy-free.

Detector (PicoDet mainbody): resize to 640x640 without keeping the aspect ratio
(``cv2.INTER_CUBIC``), scale to [0, 1], subtract ``MEAN``, divide by ``STD``, HWC -> CHW;
``im_shape`` = (640, 640) and ``scale_factor`` = (640 / H, 640 / W) per image.

Feature extractor (PP-LCNetV2): RGB crop, resize to 224x224 without keeping the ratio
(``cv2.INTER_LINEAR``), same normalisation, CHW.

Each resized uint8 image is written straight into a preallocated float32 batch through a
transposed view: ``(x / 255 - mean) / std`` is computed as ``x * a - b`` with per-channel
constants, one multiply pass and one in-place subtract per image, no temporaries.
"""

from __future__ import annotations

import cv2
import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
DET_SIZE = 640
REC_SIZE = 224
DET_INTERPOLATION = cv2.INTER_CUBIC
REC_INTERPOLATION = cv2.INTER_LINEAR

_A = (1.0 / (255.0 * STD)).astype(np.float32)[:, None, None]
_B = (MEAN / STD).astype(np.float32)[:, None, None]


def _resized(images, size: int, interpolation: int):
    for img in images:
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 HxWx3 image, got {img.dtype} {img.shape}")
        yield cv2.resize(img, (size, size), interpolation=interpolation)


def _fill(batch: np.ndarray, images, size: int, interpolation: int) -> None:
    for out, resized in zip(batch, _resized(images, size, interpolation), strict=False):
        np.multiply(resized.transpose(2, 0, 1), _A, out=out)
        out -= _B


def resized_batch(images, size: int, interpolation: int) -> np.ndarray:
    """[N, size, size, 3] uint8: the images resized as above, for a model that normalises
    (and transposes) its input itself (the OpenVINO backend folds that into its graph)."""
    batch = np.empty((len(images), size, size, 3), np.uint8)
    for out, resized in zip(batch, _resized(images, size, interpolation), strict=False):
        out[...] = resized
    return batch


def detector_sizes(images: list[np.ndarray], size: int = DET_SIZE) -> dict[str, np.ndarray]:
    """The detector's ``im_shape`` and ``scale_factor`` inputs for these images."""
    n = len(images)
    im_shape = np.full((n, 2), float(size), dtype=np.float32)
    scale_factor = np.array([(size / img.shape[0], size / img.shape[1]) for img in images], dtype=np.float32).reshape(
        n, 2
    )
    return {"im_shape": im_shape, "scale_factor": scale_factor}


def detector_inputs(images: list[np.ndarray], size: int = DET_SIZE) -> dict[str, np.ndarray]:
    """The detector's three inputs for a batch of RGB uint8 images of any sizes."""
    batch = np.empty((len(images), 3, size, size), dtype=np.float32)
    _fill(batch, images, size, DET_INTERPOLATION)
    return {"image": batch, **detector_sizes(images, size)}


def extractor_batch(crops: list[np.ndarray], size: int = REC_SIZE, out: np.ndarray | None = None) -> np.ndarray:
    """The feature extractor's ``x`` input [N, 3, size, size] for RGB uint8 crops.

    Crops may be non-contiguous views into the photo (no copy is made).  ``out``, if
    given, is a preallocated float32 buffer with at least N rows to fill.
    """
    n = len(crops)
    if out is None or out.shape[0] < n or out.shape[1:] != (3, size, size):
        out = np.empty((n, 3, size, size), dtype=np.float32)
    batch = out[:n]
    _fill(batch, crops, size, REC_INTERPOLATION)
    return batch


def crop(image: np.ndarray, box) -> np.ndarray:
    """A view of ``image`` inside ``box`` (x1, y1, x2, y2), in integer pixels as the reference."""
    x1, y1, x2, y2 = (int(v) for v in box[:4])
    h, w = image.shape[:2]
    x1, y1 = max(0, min(x1, w - 1)), max(0, min(y1, h - 1))
    x2, y2 = max(x1 + 1, min(x2, w)), max(y1 + 1, min(y2, h))
    return image[y1:y2, x1:x2]
