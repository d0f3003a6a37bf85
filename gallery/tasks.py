"""Celery tasks of the gallery (queue ``gallery``; ``probe`` runs where recognition runs)."""

from __future__ import annotations

import base64
import logging
import threading

import numpy as np
from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from catalog.models import ProductImage
from recognition import runtime
from recognition.engine.images import ImageError
from recognition.engine.predictors import ModelError

from . import maintenance, services
from .embedding import embed_photo
from .live import current_gallery, live_gallery
from .models import GalleryEmbedding
from .selectors import current_model_version

logger = logging.getLogger(__name__)


@shared_task(name="gallery.tasks.embed_image", bind=True, max_retries=3, default_retry_delay=10)
def embed_image(self, image_id: int, actor_id: int | None = None) -> dict:
    """Decode, crop, embed and store one reference photo; the change log tells the workers
    (naming ``actor_id``, the uploader, when the upload was a user's)."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:
        return {"image_id": image_id, "status": "gone"}
    GalleryEmbedding.objects.filter(pk=image_id).update(attempts=F("attempts") + 1)
    try:
        with image.image.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        services.mark_failed(image_id, "the photo file is missing from storage")
        return {"image_id": image_id, "status": "failed"}
    try:
        embedded = embed_photo(data)
    except ImageError as exc:
        services.mark_failed(image_id, f"cannot decode the photo: {exc}", model_version=current_model_version())
        return {"image_id": image_id, "status": "failed"}
    except ModelError as exc:
        in_process = self.request.called_directly or self.request.is_eager  # embedded mode: no later retry
        if in_process or self.request.retries >= self.max_retries:
            services.mark_failed(image_id, f"recognition model unavailable: {exc}")
            return {"image_id": image_id, "status": "failed"}
        raise self.retry(exc=exc) from exc
    stored = services.store_embedding(
        image_id, embedded.vector, embedded.model_version, embedded.crop_box, actor_id=actor_id
    )
    return {"image_id": image_id, "status": "indexed" if stored else "gone", "model_version": embedded.model_version}


@shared_task(name="gallery.tasks.probe")
def probe(image_b64: str | None = None, k: int = 5, vector: list[float] | None = None) -> dict:
    """Search this worker's live gallery with a photo (embedded here, as checkout does) or a vector.

    What would checkout match now?  Used by the integration test, ``gallery_bench`` and
    operators checking a worker.
    """
    if vector is not None:
        query = np.asarray(vector, dtype=np.float32)
    elif image_b64 is not None:
        query = embed_photo(base64.b64decode(image_b64)).vector
    else:
        raise ValueError("probe needs image_b64 or vector")
    gallery = current_gallery()
    (hits,) = gallery.search(query[None, :], k)
    live = live_gallery()
    return {
        "worker": live.name,
        "version": live.version,
        "generation": live.generation,
        "matches": [{"id": image_id, "label": label, "score": round(score, 4)} for image_id, label, score in hits],
    }


@shared_task(name="gallery.tasks.compact")
def compact() -> dict:
    return maintenance.compact()


@shared_task(name="gallery.tasks.check_consistency")
def check_consistency() -> dict:
    return maintenance.check_consistency()


@shared_task(name="gallery.tasks.reembed_stale")
def reembed_stale() -> dict:
    return maintenance.reembed_stale()


@worker_ready.connect(dispatch_uid="gallery_reembed_at_worker_start")
def reembed_at_worker_start(sender=None, **kwargs) -> None:
    """A worker starting (perhaps with a new model) asks once a minute at most for a re-embedding pass."""
    if cache.add("gallery:reembed-at-start", 1, timeout=60):
        reembed_stale.delay()


@worker_process_init.connect(dispatch_uid="gallery_preload")
def preload_gallery(**kwargs) -> None:
    """With ``GALLERY_PRELOAD`` (recognition workers), load the live gallery and build and warm
    the models as the process starts, in a thread (Celery kills a child whose init takes more
    than a few seconds), so the first checkout does not pay for them."""
    if settings.GALLERY_PRELOAD:
        threading.Thread(target=_preload, name="gallery-preload", daemon=True).start()


def _preload() -> None:
    runtime.preload()  # needs no database: first
    live_gallery()
