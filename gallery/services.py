"""Gallery business rules: which photos are in the gallery, and every change logged with a version.

A photo is *servable* (in every index) when its embedding is indexed and its product is
active; the live indexes hold exactly the servable embeddings made by their own model.
Changes to products and photos reach the log through ``gallery.signals`` whichever way
they are made (these services, the catalog services, the admin); ``acting_as`` tells the
log who made them and why.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from catalog.images import ImageRejected, inspect_image
from catalog.models import Product, ProductImage
from catalog.services import add_product_image
from smart_container.errors import InvalidInput

from . import changelog
from .changelog import Entry
from .models import GalleryChange, GalleryEmbedding

MAX_PHOTOS_PER_UPLOAD = 20
MAX_REASON = 500

_actor: contextvars.ContextVar[tuple[object, str] | None] = contextvars.ContextVar("gallery_actor", default=None)


@contextlib.contextmanager
def acting_as(actor, reason: str = "") -> Iterator[None]:
    """Attribute the gallery changes made inside the block to ``actor`` (a user or None)."""
    token = _actor.set((actor, reason))
    try:
        yield
    finally:
        _actor.reset(token)


def log_changes(entries: Sequence[Entry], default_reason: str) -> None:
    actor, reason = _actor.get() or (None, "")
    changelog.append(entries, actor=actor, reason=reason or default_reason)


def _acting_user_id() -> int | None:
    """The id of the signed-in user the current block acts for (see ``acting_as``), if any."""
    actor, _ = _actor.get() or (None, "")
    return actor.pk if getattr(actor, "is_authenticated", False) else None


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str


@dataclass(frozen=True)
class AddedPhoto:
    image: ProductImage
    embedding: GalleryEmbedding
    created: bool


def add_photos(product: Product, uploads: Sequence[Upload], *, actor=None) -> list[AddedPhoto]:
    """Attach reference photos and queue their embedding; all or nothing.

    Every file is checked before anything is stored; a bad one is named in the error
    (``images.<n>``).  The same bytes twice for a product are stored once; a photo whose
    embedding failed before is queued again.
    """
    if not uploads:
        raise InvalidInput(fields={"images": [gettext("Send at least one photo (multipart field 'images').")]})
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        raise InvalidInput(
            fields={"images": [gettext("At most %(most)d photos per upload.") % {"most": MAX_PHOTOS_PER_UPLOAD}]}
        )
    errors = {}
    for index, upload in enumerate(uploads):
        try:
            inspect_image(upload.data)
        except ImageRejected as exc:
            errors[f"images.{index}"] = [gettext("%(name)s: %(reason)s") % {"name": upload.name, "reason": exc}]
    if errors:
        raise InvalidInput(fields=errors)

    added: list[AddedPhoto] = []
    with transaction.atomic(), acting_as(actor, "photo uploaded"):
        for upload in uploads:
            result = add_product_image(product, upload.data, upload.name)  # a new photo is queued by signals
            embedding, _ = GalleryEmbedding.objects.get_or_create(image=result.image)
            if embedding.status == GalleryEmbedding.Status.FAILED:
                queue_embedding(embedding)  # the same photo again: try once more
            added.append(AddedPhoto(result.image, embedding, result.created))
    return added


def add_crop(product: Product, photo: bytes, box: Sequence[float], *, actor=None, name: str = "crop.jpg") -> AddedPhoto:
    """Add the ``box`` (x1, y1, x2, y2 in pixels) of a checkout photo to ``product``'s gallery.

    For the review queue: one click turns a mis-recognised item into a reference photo.
    """
    import io

    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(photo)) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
    except Exception as exc:  # any decoder error, Pillow's decompression-bomb guard included
        raise InvalidInput(fields={"photo": [gettext("Not a readable photo: %(reason)s") % {"reason": exc}]}) from exc
    width, height = img.size
    x1, y1, x2, y2 = (float(v) for v in box)
    left, top = max(0, int(x1)), max(0, int(y1))
    right, bottom = min(width, round(x2)), min(height, round(y2))
    if right - left < 16 or bottom - top < 16:
        raise InvalidInput(
            fields={
                "box": [gettext("The box %(box)s leaves less than 16x16 pixels of the photo.") % {"box": list(box)}]
            }
        )
    out = io.BytesIO()
    img.crop((left, top, right, bottom)).save(out, "JPEG", quality=92)
    return add_photos(product, [Upload(out.getvalue(), name)], actor=actor)[0]


# Sent when a photo is to be (re-)embedded; ``gallery.signals`` queues the embedding task after the
# commit.  (Services announce it rather than import the tasks, which call back into services.)
embedding_queued = Signal()  # kwargs: image_id, actor_id


def queue_embedding(embedding: GalleryEmbedding) -> None:
    """Queue (after commit) the embedding of a photo; an indexed one keeps serving meanwhile."""
    if embedding.status == GalleryEmbedding.Status.FAILED:
        embedding.status = GalleryEmbedding.Status.PENDING
        embedding.failure_reason = ""
    embedding.save(update_fields=["status", "failure_reason", "updated_at"])  # updated_at: when queued
    # the uploader: the task logs the "add" as theirs
    embedding_queued.send(sender=GalleryEmbedding, image_id=embedding.pk, actor_id=_acting_user_id())


def remove_photo(image: ProductImage, *, actor=None, reason: str = "photo deleted") -> None:
    """Delete a reference photo; it leaves every index with the same commit (see signals)."""
    with transaction.atomic(), acting_as(actor, reason):
        image.delete()


# ---- the embedding task's side -------------------------------------------------------------
def store_embedding(
    image_id: int, vector: np.ndarray, model_version: str, crop_box=None, *, actor_id: int | None = None
) -> bool:
    """Save a finished embedding and, if the photo is servable, log its arrival (as ``actor_id``'s,
    the user who uploaded it, when known).

    Returns False when the photo was deleted meanwhile (nothing to do).
    """
    vector = np.ascontiguousarray(vector, dtype="<f4").reshape(-1)
    with transaction.atomic():
        # Locks the embedding, photo and product rows, then (in append) the state row: see signals.
        embedding = (
            GalleryEmbedding.objects.select_for_update().select_related("image__product").filter(pk=image_id).first()
        )
        if embedding is None:
            return False
        embedding.vector = vector.tobytes()
        embedding.dim = int(vector.shape[0])
        embedding.model_version = model_version
        embedding.crop_box = [round(float(v), 1) for v in crop_box] if crop_box is not None else None
        embedding.status = GalleryEmbedding.Status.INDEXED
        embedding.failure_reason = ""
        embedding.indexed_at = timezone.now()
        embedding.save()
        product = embedding.image.product
        if product.is_active:
            actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
            changelog.append([Entry(GalleryChange.Op.ADD, image_id, product.sku)], actor=actor, reason="photo embedded")
    return True


def mark_failed(image_id: int, reason: str, *, model_version: str = "") -> None:
    """Record why a photo could not be embedded; a failed photo is in no index.

    ``model_version`` is the extractor that could not embed it (a bad photo): it is tried
    again only under another model or when uploaded again; "" (no model) means retry.
    """
    with transaction.atomic():
        embedding = GalleryEmbedding.objects.select_for_update().select_related("image__product").filter(pk=image_id)
        embedding = embedding.first()
        if embedding is None:
            return
        was_servable = embedding.status == GalleryEmbedding.Status.INDEXED and embedding.image.product.is_active
        embedding.status = GalleryEmbedding.Status.FAILED
        embedding.failure_reason = reason[:MAX_REASON]
        embedding.model_version = model_version
        embedding.vector = None
        embedding.save()
        if was_servable:
            changelog.append(
                [Entry(GalleryChange.Op.REMOVE, image_id, embedding.image.product.sku)], reason="embedding failed"
            )


def requeue_stale(current_model_version: str, *, older_than: timedelta | None = None) -> int:
    """Queue the photos that need (re-)embedding; returns how many.

    Those embedded or failed with another model (a model upgrade, or a model that was
    missing), those pending so long their task was probably lost, and photos that have no
    embedding row.  Only rows untouched for ``older_than`` (``GALLERY_REQUEUE_AFTER_SECONDS``)
    are queued, so an hourly pass does not queue twice what a long re-embedding has not
    reached yet.  Stale vectors keep serving on workers of the old model until replaced.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.GALLERY_REQUEUE_AFTER_SECONDS)
    untouched = GalleryEmbedding.objects.filter(updated_at__lt=timezone.now() - older_than)
    stale = untouched.exclude(model_version=current_model_version).exclude(status=GalleryEmbedding.Status.PENDING)
    lost = untouched.filter(status=GalleryEmbedding.Status.PENDING)
    count = 0
    for embedding in (stale | lost).iterator():
        with transaction.atomic():
            queue_embedding(embedding)
        count += 1
    for image in ProductImage.objects.filter(embedding__isnull=True).iterator():
        with transaction.atomic():
            queue_embedding(GalleryEmbedding.objects.get_or_create(image=image)[0])
        count += 1
    return count


@dataclass(frozen=True)
class Retried:
    failed: int
    pending: int

    @property
    def queued(self) -> int:
        return self.failed + self.pending


def retry_unindexed(*, actor=None) -> Retried:
    """Queue every failed and every pending photo for embedding again, now (and any photo with
    no embedding row).  For staff after fixing a cause (models installed, storage back), and
    for the demo commands once the models are there: nothing is left waiting for the hourly pass.
    """
    failed = pending = 0
    with acting_as(actor, "retry requested"):
        waiting = GalleryEmbedding.objects.exclude(status=GalleryEmbedding.Status.INDEXED).order_by("image_id")
        for embedding in waiting.iterator():
            was_failed = embedding.status == GalleryEmbedding.Status.FAILED
            with transaction.atomic():
                queue_embedding(embedding)
            failed, pending = failed + was_failed, pending + (not was_failed)
        for image in ProductImage.objects.filter(embedding__isnull=True).iterator():
            with transaction.atomic():
                queue_embedding(GalleryEmbedding.objects.get_or_create(image=image)[0])
            pending += 1
    return Retried(failed, pending)
