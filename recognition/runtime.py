"""Build the recognition models from settings once per process; hand each thread its own predictors.

The Celery workers and the in-process (embedded) path all come through here.  The models are
loaded once per process (lazily, so a forked worker loads them in the child); each thread
gets clones of the predictors (Paddle predictors are not thread-safe; clones share the
weights).  The gallery is not the engine's: callers pass the one they search (the live
gallery of ``gallery.live`` in the product, an index file in the CLI).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from recognition import conf
from recognition.engine.gallery import GalleryIndex, set_search_threads
from recognition.engine.images import decode_image_scaled
from recognition.engine.pipeline import Recognition, Recognizer
from recognition.engine.predictors import Detector, FeatureExtractor, ModelError

logger = logging.getLogger(__name__)


@dataclass
class Engine:
    detector: Detector
    extractor: FeatureExtractor
    pid: int


_lock = threading.Lock()
_engine: Engine | None = None
_local = threading.local()


def engine() -> Engine:
    """The process-wide engine (models loaded on first use, again after a fork)."""
    global _engine
    with _lock:
        if _engine is None or _engine.pid != os.getpid():
            dirs = conf.model_dirs()
            opts = conf.inference_options()
            for name, folder in dirs.items():
                if folder is None or not folder.is_dir():
                    raise ModelError(f"{name} model folder {folder} not found: run `manage.py shitu fetch-models`")
            set_search_threads(conf.search_threads())
            detector = Detector(dirs["detector"], **opts)
            extractor = FeatureExtractor(
                dirs["extractor"], max_batch=conf.inference_options_max_batch(), bf16=conf.rec_bf16(), **opts
            )
            _engine = Engine(detector, extractor, os.getpid())
            _local.__dict__.clear()
        return _engine


def thread_models() -> tuple[Detector, FeatureExtractor]:
    """This thread's own predictor clones, made (and warmed up) on the thread's first call."""
    eng = engine()
    if getattr(_local, "engine", None) is not eng:
        _local.detector, _local.extractor, _local.engine = eng.detector.clone(), eng.extractor.clone(), eng
        if conf.warmup_enabled():
            warm_up(_local.detector, _local.extractor)
    return _local.detector, _local.extractor


def get_recognizer(gallery: GalleryIndex) -> Recognizer:
    """A Recognizer over ``gallery`` with this thread's predictors and the settings' thresholds.

    A Recognizer is a light wrapper, so one is made per call for whichever gallery the caller serves.
    """
    detector, extractor = thread_models()
    return Recognizer(detector, extractor, gallery, conf.recognizer_config())


def warm_up(detector: Detector, extractor: FeatureExtractor) -> None:
    """One throw-away pass so the first customer does not pay for oneDNN kernel creation.

    The first forward of a predictor is several times slower than the next ones.
    """
    image = np.full((480, 640, 3), 127, np.uint8)
    detector.detect([image])
    extractor.embed([image] * min(5, extractor.max_batch))


def recognize_bytes(data: bytes, gallery: GalleryIndex) -> Recognition:
    """Decode an uploaded photo with the configured limits and recognise it (raises ImageError).

    Boxes and ``image_size`` are in the original photo's pixels (EXIF orientation applied),
    also when ``SHITU_DECODE_MAX_SIDE`` lets a large JPEG decode at reduced scale.
    """
    image, (sx, sy) = decode_image_scaled(data, **conf.decode_limits(), max_side=conf.decode_max_side())
    return get_recognizer(gallery).recognize(image).rescaled(sx, sy)


def reset() -> None:
    """Forget the loaded engine (tests; after changing settings)."""
    global _engine
    with _lock:
        _engine = None
        _local.__dict__.clear()
