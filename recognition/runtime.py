"""Build the recognition engine from settings once per process; hand each thread its own Recognizer.

The Celery worker and the in-process (embedded) path both call ``get_recognizer()``.  The
models are loaded once per process (lazily, so a forked worker loads them in the child);
each thread gets clones of the predictors (Paddle predictors are not thread-safe; clones
share the weights).  The gallery index is one per process, shared by all threads (it is
thread-safe); ``gallery()`` returns it so a worker can apply changes incrementally with
``add``/``remove``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from recognition import conf
from recognition.engine.gallery import GalleryIndex
from recognition.engine.images import decode_image_scaled
from recognition.engine.pipeline import Recognition, Recognizer
from recognition.engine.predictors import Detector, FeatureExtractor, ModelError

logger = logging.getLogger(__name__)


@dataclass
class Engine:
    detector: Detector
    extractor: FeatureExtractor
    gallery: GalleryIndex
    pid: int


_lock = threading.Lock()
_engine: Engine | None = None
_local = threading.local()


def _load_gallery(extractor: FeatureExtractor) -> GalleryIndex:
    path = conf.index_path()
    if path.is_file():
        gallery = GalleryIndex.load(path)
        if gallery.dim != extractor.dim:
            raise ModelError(f"gallery {path} holds {gallery.dim}-d vectors, the extractor makes {extractor.dim}-d")
        if gallery.version and gallery.version != extractor.version:
            logger.warning(
                "gallery %s was embedded with %s, the extractor is %s: re-embed the gallery",
                path,
                gallery.version,
                extractor.version,
            )
        return gallery
    logger.info("no gallery index at %s yet: starting empty", path)
    return GalleryIndex(extractor.dim, version=extractor.version, **conf.gallery_options())


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
            detector = Detector(dirs["detector"], **opts)
            extractor = FeatureExtractor(
                dirs["extractor"], max_batch=conf.inference_options_max_batch(), bf16=conf.rec_bf16(), **opts
            )
            _engine = Engine(detector, extractor, _load_gallery(extractor), os.getpid())
            _local.__dict__.clear()
        return _engine


def gallery() -> GalleryIndex:
    return engine().gallery


def get_recognizer() -> Recognizer:
    """This thread's Recognizer (its own predictor clones, the shared gallery, settings thresholds)."""
    eng = engine()
    rec = getattr(_local, "recognizer", None)
    if rec is None or getattr(_local, "engine", None) is not eng:
        rec = Recognizer(eng.detector.clone(), eng.extractor.clone(), eng.gallery, conf.recognizer_config())
        if conf.warmup_enabled():
            warm_up(rec)
        _local.recognizer, _local.engine = rec, eng
    return rec


def warm_up(recognizer: Recognizer) -> None:
    """One throw-away pass so the first customer does not pay for oneDNN kernel creation.

    The first forward of a predictor is several times slower than the next ones.
    """
    image = np.full((480, 640, 3), 127, np.uint8)
    recognizer.detector.detect([image])
    recognizer.extractor.embed([image] * min(5, recognizer.extractor.max_batch))


def recognize_bytes(data: bytes) -> Recognition:
    """Decode an uploaded photo with the configured limits and recognise it (raises ImageError).

    Boxes and ``image_size`` are in the original photo's pixels (EXIF orientation applied),
    also when ``SHITU_DECODE_MAX_SIDE`` lets a large JPEG decode at reduced scale.
    """
    image, (sx, sy) = decode_image_scaled(data, **conf.decode_limits(), max_side=conf.decode_max_side())
    return get_recognizer().recognize(image).rescaled(sx, sy)


def reset() -> None:
    """Forget the loaded engine (tests; after changing settings)."""
    global _engine
    with _lock:
        _engine = None
        _local.__dict__.clear()
