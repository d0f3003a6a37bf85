"""What several gallery modules read: which photos are servable, what every index should hold,
the configured model's version, and the gallery's status.  Reads only; nothing here writes.

The live index (``live``), the scheduled checks (``maintenance``), the status API and the
back office all read through here, so none of them imports another to ask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from recognition import conf
from recognition.engine.predictors import ModelError, model_version

from . import changelog
from .models import GalleryEmbedding, GalleryState, GalleryWorker


def servable(model_version: str):
    """The embeddings every index made by ``model_version`` must hold (ordered by id)."""
    return GalleryEmbedding.objects.filter(
        status=GalleryEmbedding.Status.INDEXED,
        model_version=model_version,
        image__product__is_active=True,
    ).order_by("image_id")


def current_model_version() -> str:
    """Version of the configured feature extractor (cheap: cached hash of its weights), or ""."""
    folder = conf.model_dirs()["extractor"]
    if folder is None:
        return ""
    try:
        return model_version(folder)
    except ModelError:
        return ""


def membership_checksum(pairs: Iterable[tuple[int, str]]) -> str:
    """Order-independent digest of (id, label) pairs: equal iff two galleries hold the same entries."""
    digest = hashlib.sha256()
    for image_id, label in sorted(pairs):
        digest.update(f"{image_id}:{label}\n".encode())
    return digest.hexdigest()[:32]


def expected_membership(model_version: str) -> tuple[int, str]:
    pairs = list(servable(model_version).values_list("image_id", "image__product__sku"))
    return len(pairs), membership_checksum(pairs)


MAX_FAILURES_LISTED = 50


def status_counts() -> dict[str, int]:
    """Photos per embedding status (every status present, 0 when none)."""
    rows = GalleryEmbedding.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    return {status: 0 for status in GalleryEmbedding.Status} | dict(rows)


def failure_reasons() -> list[tuple[str, int]]:
    """Why photos failed to embed: (reason, how many photos), most common first."""
    rows = (
        GalleryEmbedding.objects.filter(status=GalleryEmbedding.Status.FAILED)
        .values_list("failure_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "failure_reason")
    )
    return [(reason or "no reason recorded", n) for reason, n in rows]


def summary_lines() -> list[str]:
    """The gallery in a few lines of text, for commands: counts, then each failure reason."""
    counts, status = status_counts(), GalleryEmbedding.Status
    lines = [
        f"gallery: {counts[status.INDEXED]} photos indexed, {counts[status.PENDING]} pending, "
        f"{counts[status.FAILED]} failed"
    ]
    lines += [f"  {n} failed: {reason}" for reason, n in failure_reasons()]
    return lines


def gallery_status() -> dict:
    """Counts by status (failures with their reasons), version, generation and every worker."""
    head = changelog.read_head(from_db=True)
    model = current_model_version()
    counts = status_counts()
    failures = [
        {"image_id": image_id, "sku": sku, "reason": reason, "updated_at": updated_at}
        for image_id, sku, reason, updated_at in GalleryEmbedding.objects.filter(status=GalleryEmbedding.Status.FAILED)
        .order_by("-updated_at")
        .values_list("image_id", "image__product__sku", "failure_reason", "updated_at")[:MAX_FAILURES_LISTED]
    ]
    alive_after = timezone.now() - timedelta(seconds=settings.GALLERY_WORKER_ALIVE_SECONDS)
    workers = [
        {
            "name": w.name,
            "version": w.version,
            "generation": w.generation,
            "behind": max(0, head.version - w.version) if w.generation == head.generation else None,
            "model_version": w.model_version,
            "entries": w.entries,
            "consistent": w.consistent,
            "alive": w.heartbeat_at >= alive_after,
            "heartbeat_at": w.heartbeat_at,
            "started_at": w.started_at,
        }
        for w in GalleryWorker.objects.order_by("-heartbeat_at")[:200]
    ]
    state = GalleryState.objects.filter(pk=1).first()
    return {
        "version": head.version,
        "generation": head.generation,
        "model_version": model,
        "indexed": counts[GalleryEmbedding.Status.INDEXED],
        "pending": counts[GalleryEmbedding.Status.PENDING],
        "failed": counts[GalleryEmbedding.Status.FAILED],
        "stale": GalleryEmbedding.objects.filter(status=GalleryEmbedding.Status.INDEXED)
        .exclude(model_version=model)
        .count(),
        "failures": failures,
        "workers": workers,
        "compacted_at": state.compacted_at if state else None,
        "last_check": state.last_check if state else {},
    }
