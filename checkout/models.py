"""A customer's photo of their basket and what we made of it: the cart they order from."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .photos import photo_storage


def recognition_photo_path(instance: Recognition, filename: str) -> str:
    return f"recognitions/{timezone.now():%Y/%m/%d}/{instance.id}.jpg"


class Recognition(models.Model):
    """One recognised photo.  ``lines`` is the priced cart (server prices), kept as the customer edits it.

    ``corrected``, ``unsure`` and ``min_confidence`` feed the back office's review queue.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="recognitions")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="recognitions")
    photo = models.ImageField(
        upload_to=recognition_photo_path,
        storage=photo_storage,  # private: not under MEDIA_ROOT (checkout/photos.py)
        help_text="The upload re-encoded as JPEG, no EXIF.",
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)

    class Failure(models.TextChoices):
        NONE = "", _("None")
        BAD_IMAGE = "bad_image", _("The photo could not be decoded")  # take another photo
        ENGINE = "engine", _("Recognition is unavailable (models, gallery)")  # try again later
        UNAVAILABLE = "unavailable", _("The task queue could not take the photo")  # try again in a few seconds
        TIMEOUT = "timeout", _("Not recognised within the deadline")  # take the photo again

    failure = models.CharField(max_length=16, choices=Failure.choices, blank=True, default="")
    error = models.CharField(max_length=300, blank=True)
    result = models.JSONField(
        default=dict, blank=True, help_text="The engine's raw answer (RecognitionResult.to_dict())."
    )
    lines = models.JSONField(default=list, blank=True, help_text="Priced cart lines.")
    unknown = models.JSONField(default=list, blank=True, help_text="Boxes no product matched.")
    total_fen = models.PositiveBigIntegerField(default=0)  # a cart may grow past an order's limit: ordering refuses it
    min_confidence = models.FloatField(null=True, blank=True, db_index=True)
    corrected = models.BooleanField(default=False, db_index=True, help_text="The customer changed the cart.")
    unsure = models.BooleanField(
        default=False, db_index=True, help_text="A cart line the engine was unsure of (its runner-up was close)."
    )
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="recognition"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"recognition {self.id} ({self.status})"
