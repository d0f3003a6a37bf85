"""The gallery's state in the database: the source of truth every faiss index is rebuilt from."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models

from catalog.models import ProductImage


class GalleryEmbedding(models.Model):
    """The embedding of one reference photo, and where it is in its life.

    Its primary key is the photo's: that int64 is also the id of the vector in every index.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        INDEXED = "indexed", "indexed"
        FAILED = "failed", "failed"

    image = models.OneToOneField(ProductImage, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    vector = models.BinaryField(null=True, blank=True, help_text="float32 little-endian, L2-normalised.")
    dim = models.PositiveIntegerField(default=0)
    model_version = models.CharField(max_length=128, blank=True, db_index=True)
    crop_box = models.JSONField(null=True, blank=True, help_text="[x1, y1, x2, y2] of the mainbody crop, if any.")
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["image_id"]

    def __str__(self) -> str:
        return f"embedding of photo {self.image_id} ({self.status})"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype="<f4")


class GalleryChange(models.Model):
    """Append-only log of what entered or left the gallery, in gallery-version order.

    ``version`` is assigned under a lock on ``GalleryState`` in the transaction that makes
    the change, so versions become visible in commit order and a worker that has applied
    version N has seen every change up to N.  ``image_id`` is a plain integer: the log
    outlives deleted photos.
    """

    class Op(models.TextChoices):
        ADD = "add", "add"
        REMOVE = "remove", "remove"

    version = models.BigIntegerField(unique=True)
    op = models.CharField(max_length=8, choices=Op.choices)
    image_id = models.BigIntegerField(db_index=True)
    label = models.CharField(max_length=64, help_text="Product SKU at the time of the change.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.op} {self.label} photo {self.image_id}"


class GalleryState(models.Model):
    """One row: the head of the change log and the index generation.

    ``generation`` is bumped by compaction (and by a consistency repair); a worker seeing a
    new generation reloads its index from the database instead of applying changes.
    """

    version = models.BigIntegerField(default=0)
    generation = models.BigIntegerField(default=1)
    compacted_at = models.DateTimeField(null=True, blank=True)
    last_check = models.JSONField(default=dict, blank=True, help_text="Result of the last consistency check.")

    def __str__(self) -> str:
        return f"gallery v{self.version} gen {self.generation}"


class GalleryWorker(models.Model):
    """What one process serves, as it last reported (heartbeat)."""

    name = models.CharField(max_length=200, unique=True, help_text="host:pid")
    version = models.BigIntegerField(default=0)
    generation = models.BigIntegerField(default=0)
    model_version = models.CharField(max_length=128, blank=True)
    entries = models.PositiveIntegerField(default=0)
    checksum = models.CharField(max_length=64, blank=True)
    checksum_version = models.BigIntegerField(default=0, help_text="The version the checksum was computed at.")
    consistent = models.BooleanField(null=True, help_text="Verdict of the last consistency check, if any.")
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
