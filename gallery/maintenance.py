"""Scheduled gallery work: compaction, the DB-vs-index consistency check, re-embedding."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import changelog
from .models import GalleryState, GalleryWorker
from .selectors import current_model_version, expected_membership
from .services import requeue_stale

logger = logging.getLogger(__name__)


def compact() -> dict:
    """Bump the generation: every process rebuilds its index from the database (dropping the
    space of removed entries, retraining IVF) beside the serving one, and forgets dead workers."""
    head = changelog.bump_generation()
    cutoff = timezone.now() - timedelta(days=1)
    forgotten, _ = GalleryWorker.objects.filter(heartbeat_at__lt=cutoff).delete()
    logger.info("gallery compaction: generation %d; forgot %d dead workers", head.generation, forgotten)
    return {"version": head.version, "generation": head.generation, "forgotten_workers": forgotten}


def check_consistency() -> dict:
    """Compare what each live worker reports serving with what the database says it should.

    Only workers at the current head can be judged (others are catching up: reported as
    behind), and none while the head keeps moving (the expectation would describe another
    version than the head the workers are compared with).  A mismatch is logged and, with
    ``GALLERY_REPAIR_ON_MISMATCH``, repaired by bumping the generation so every worker reloads.
    """
    alive_after = timezone.now() - timedelta(seconds=settings.GALLERY_WORKER_ALIVE_SECONDS)
    for _ in range(3):  # the head must not move while the expectation is computed
        head = changelog.read_head(from_db=True)
        expected: dict[str, tuple[int, str]] = {}
        workers = list(GalleryWorker.objects.filter(heartbeat_at__gte=alive_after))
        for worker in workers:
            if worker.model_version not in expected:
                expected[worker.model_version] = expected_membership(worker.model_version)
        if changelog.read_head(from_db=True) == head:
            settled = True
            break
    else:
        settled = False
    report = {"checked_at": timezone.localtime().isoformat(), "version": head.version, "generation": head.generation}
    verdicts = []
    for worker in workers:
        at_head = (worker.version, worker.checksum_version, worker.generation) == (
            head.version,
            head.version,
            head.generation,
        )
        if not settled:
            verdict = "not judged: the gallery changed while the check read it"
            consistent = None
        elif not at_head:
            verdict = (
                f"behind: serves v{worker.version} gen {worker.generation}, checksum of v{worker.checksum_version}"
            )
            consistent = None
        else:
            count, checksum = expected[worker.model_version]
            consistent = (worker.entries, worker.checksum) == (count, checksum)
            verdict = "ok" if consistent else f"serves {worker.entries} photos, the database says {count}"
        GalleryWorker.objects.filter(pk=worker.pk).update(consistent=consistent)
        verdicts.append({"worker": worker.name, "consistent": consistent, "detail": verdict})
        if consistent is False:
            logger.warning("gallery consistency: %s %s", worker.name, verdict)
    report["workers"] = verdicts
    report["mismatches"] = sum(1 for v in verdicts if v["consistent"] is False)
    if report["mismatches"] and settings.GALLERY_REPAIR_ON_MISMATCH:
        report["repaired_generation"] = changelog.bump_generation().generation
    GalleryState.objects.filter(pk=1).update(last_check=report)
    return report


def reembed_stale() -> dict:
    """Queue every photo not embedded by the configured extractor (model upgrade, or never embedded)."""
    version = current_model_version()
    if not version:
        logger.warning("re-embedding skipped: no feature extractor configured")
        return {"model_version": "", "queued": 0}
    queued = requeue_stale(version)
    if queued:
        logger.info("re-embedding %d photos with %s", queued, version)
    return {"model_version": version, "queued": queued}
