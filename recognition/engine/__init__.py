"""PP-ShiTuV2 recognition engine: detect, embed, search.

Plain Python (Paddle Inference, faiss, numpy, OpenCV, Pillow); nothing under this package
imports Django, so it runs the same in a Celery worker, a web process, a script or a test.
The Django adapters live in ``recognition.runtime`` and the ``shitu`` management command.

Public API::

    from recognition.engine import (
        decode_image, ImageError,                    # images.py
        Detector, FeatureExtractor, ModelError,      # predictors.py
        GalleryIndex, GalleryError,                  # index.py
        Recognizer, RecognizerConfig, RecognitionResult,  # pipeline.py
        RecognizedLine, BoxMatch, UnknownItem, Candidate,
    )

Modules are imported lazily so that ``import recognition.engine.images`` does not pay for
Paddle or faiss.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "decode_image": "images",
    "ImageError": "images",
    "Detector": "predictors",
    "FeatureExtractor": "predictors",
    "ModelError": "predictors",
    "GalleryIndex": "index",
    "GalleryError": "index",
    "Recognizer": "pipeline",
    "RecognizerConfig": "pipeline",
    "RecognitionResult": "pipeline",
    "RecognizedLine": "pipeline",
    "BoxMatch": "pipeline",
    "UnknownItem": "pipeline",
    "Candidate": "pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
