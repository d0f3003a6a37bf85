"""Photo bytes -> gallery vector, exactly as checkout photos are embedded (same crop rule)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from recognition import conf, runtime
from recognition.engine import postprocess, preprocess
from recognition.engine.images import decode_image


@dataclass(frozen=True)
class EmbeddedPhoto:
    vector: np.ndarray  # float32 [dim], L2-normalised
    model_version: str
    crop_box: tuple[float, float, float, float] | None  # mainbody box used, None for the whole photo


def embed_photo(data: bytes) -> EmbeddedPhoto:
    """Decode (raises ``ImageError``), optionally crop to the main object, embed.

    By default the whole photo is embedded, as PP-ShiTu builds its galleries (reference
    photos are close-ups).  With ``GALLERY_MAINBODY_CROP`` the detector's best box above
    ``GALLERY_CROP_MIN_SCORE`` is embedded instead (the whole photo when it finds none):
    better for cluttered photos, at the cost of one detector run per photo.
    """
    image = decode_image(data, **conf.decode_limits())
    crop_rule = {
        "enabled": getattr(settings, "GALLERY_MAINBODY_CROP", False),
        "min_score": getattr(settings, "GALLERY_CROP_MIN_SCORE", 0.5),
        "min_size": conf.recognizer_config().min_box_size,
    }
    return runtime.run(lambda models: _embed(models, image, **crop_rule))


def _embed(models, image: np.ndarray, *, enabled: bool, min_score: float, min_size: float) -> EmbeddedPhoto:
    """On the engine thread: the crop rule, then one feature pass."""
    detector, extractor = models.detector, models.extractor
    crop_box = None
    if enabled:
        (rows,) = detector.detect([image])
        height, width = image.shape[:2]
        boxes, _, whole = postprocess.select_boxes(
            rows, image_size=(width, height), score_threshold=min_score, max_det=1, min_size=min_size
        )
        if not whole:
            crop_box = tuple(float(v) for v in boxes[0][:4])
    crop = image if crop_box is None else preprocess.crop(image, crop_box)
    vector = extractor.embed([crop])[0]
    return EmbeddedPhoto(vector, extractor.version, crop_box)
