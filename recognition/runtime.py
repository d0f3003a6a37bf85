"""The recognition models of this process, built from settings, run on one engine thread.

Web processes (the dev server makes a thread per request, gunicorn ``--threads``), Celery
workers (prefork, threads or solo) and the embedded in-process path all come through here.
The models are built on first use, or by ``preload()``, on the process's engine thread
(``recognition.engine.runner``), and every model call is handed to that thread: Paddle
predictors must not move between threads, and a clone fails on a second thread under
oneDNN.  A forked child gets its own engine thread.  The gallery is not the engine's:
callers pass the one they search (the live gallery in the product, an index file in the CLI).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from django.conf import settings

from recognition import conf
from recognition.engine.images import decode_image_scaled
from recognition.engine.index import GalleryIndex, set_search_threads
from recognition.engine.models import Models, build_models
from recognition.engine.pipeline import RecognitionResult, Recognizer
from recognition.engine.runner import EngineThread

logger = logging.getLogger(__name__)
T = TypeVar("T")

_lock = threading.Lock()
_engine: EngineThread[Models] | None = None


def _build() -> Models:
    """Runs on the engine thread: fresh predictors from the settings, warmed up."""
    dirs = conf.model_dirs()
    set_search_threads(settings.SHITU_SEARCH_THREADS)
    return build_models(dirs["detector"], dirs["extractor"], conf.inference_options(), warm_up=settings.SHITU_WARMUP)


def engine() -> EngineThread[Models]:
    """This process's engine thread (started on first use, again after a fork)."""
    global _engine
    with _lock:
        if _engine is None or _engine.pid != os.getpid():
            _engine = EngineThread(_build)
        return _engine


def run(fn: Callable[[Models], T]) -> T:
    """``fn(models)`` on the engine thread (raises ``ModelError`` when the models are missing)."""
    return engine().run(fn)


def preload() -> bool:
    """Build and warm the models now, so the first photo costs what later ones cost.

    Returns False (and logs why) when they cannot be loaded yet; recognition then reports
    the failure per photo, and a later call or photo tries again.
    """
    try:
        run(lambda models: None)
    except Exception as exc:
        logger.warning("recognition models not loaded: %s", exc)
        return False
    return True


def recognize(image: np.ndarray, gallery: GalleryIndex) -> RecognitionResult:
    """Recognise a decoded RGB photo against ``gallery`` with the settings' thresholds."""
    config = conf.recognizer_config()
    return run(lambda m: Recognizer(m.detector, m.extractor, gallery, config).recognize(image))


def recognize_bytes(data: bytes, gallery: GalleryIndex) -> RecognitionResult:
    """Decode an uploaded photo with the configured limits and recognise it (raises ImageError).

    Decoding runs on the caller's thread.  Boxes and ``image_size`` are in the original
    photo's pixels (EXIF orientation applied), also when ``SHITU_DECODE_MAX_SIDE`` lets a
    large JPEG decode at reduced scale.
    """
    image, (sx, sy) = decode_image_scaled(data, **conf.decode_limits(), max_side=settings.SHITU_DECODE_MAX_SIDE or None)
    return recognize(image, gallery).rescaled(sx, sy)


def reset() -> None:
    """Forget the loaded models and stop the engine thread (tests; after changing settings)."""
    global _engine
    with _lock:
        if _engine is not None and _engine.pid == os.getpid():
            _engine.close()
        _engine = None
