"""Failures, re-embedding, compaction, the consistency check, crops from checkout photos."""

from __future__ import annotations

import numpy as np
import pytest

from gallery import changelog, live, maintenance, services
from gallery.models import GalleryEmbedding, GalleryState, GalleryWorker
from gallery.selectors import gallery_status
from smart_container.errors import InvalidInput

from .conftest import photo

pytestmark = pytest.mark.django_db


def upload(product, seed: int, committed):
    with committed():
        (added,) = services.add_photos(product, [services.Upload(photo(seed), f"{seed}.png")])
    return added.image


def test_missing_file_fails_with_reason_and_retry_requeues(engine_settings, make_product, committed):
    cola = make_product("COLA")
    with committed():
        (added,) = services.add_photos(cola, [services.Upload(photo(11), "a.png")])
        added.image.image.storage.delete(added.image.image.name)  # lost before the task ran
    embedding = GalleryEmbedding.objects.get(pk=added.image.pk)
    assert embedding.status == "failed"
    assert embedding.failure_reason == "the photo file is missing from storage"
    status = gallery_status()
    assert status["failed"] == 1 and status["failures"][0]["reason"] == embedding.failure_reason
    assert status["failures"][0]["sku"] == "COLA"
    assert len(live.current_gallery()) == 0

    added.image.image.storage.save(added.image.image.name, __import__("io").BytesIO(photo(11)))
    with committed():
        (again,) = services.add_photos(cola, [services.Upload(photo(11), "a.png")])  # same bytes: a retry
    assert again.created is False
    assert GalleryEmbedding.objects.get(pk=added.image.pk).status == "indexed"
    assert len(live.current_gallery()) == 1


def test_model_unavailable_marks_failed(engine_settings, make_product, committed, tmp_path):
    engine_settings.SHITU_REC_MODEL_DIR = str(tmp_path / "nowhere")
    from recognition import runtime

    runtime.reset()
    cola = make_product("COLA")
    image = upload(cola, 11, committed)
    embedding = GalleryEmbedding.objects.get(pk=image.pk)
    assert embedding.status == "failed"
    assert embedding.failure_reason.startswith("recognition model unavailable")


def test_reembed_stale_replaces_vectors_of_another_model(engine_settings, make_product, committed):
    cola = make_product("COLA")
    image = upload(cola, 11, committed)
    current = GalleryEmbedding.objects.get(pk=image.pk)
    with committed():
        services.store_embedding(image.pk, np.ones(512, np.float32) / np.sqrt(512), "old_model@000000")
    assert gallery_status()["stale"] == 1
    assert len(live.current_gallery()) == 0  # this process runs the new model

    with committed():
        assert maintenance.reembed_stale()["queued"] == 0  # just touched: maybe already queued
    engine_settings.GALLERY_REQUEUE_AFTER_SECONDS = 0
    with committed():
        result = maintenance.reembed_stale()
    assert result == {"model_version": current.model_version, "queued": 1}
    again = GalleryEmbedding.objects.get(pk=image.pk)
    assert again.model_version == current.model_version
    assert np.allclose(again.as_array(), current.as_array())
    assert gallery_status()["stale"] == 0
    assert len(live.current_gallery()) == 1
    with committed():
        assert maintenance.reembed_stale()["queued"] == 0  # idempotent


def test_compaction_bumps_generation_and_workers_reload(engine_settings, make_product, committed):
    cola = make_product("COLA")
    upload(cola, 11, committed)
    doomed = upload(cola, 12, committed)
    assert len(live.current_gallery()) == 2
    with committed():
        services.remove_photo(doomed)
    assert live.current_gallery().masked == 1  # removed entries still take space until a rebuild
    with committed():
        result = maintenance.compact()
    assert result["generation"] == 2
    assert live.current_gallery().masked == 0 and len(live.current_gallery()) == 1
    assert live.live_gallery().generation == 2


def test_consistency_check_flags_and_repairs_a_wrong_index(engine_settings, make_product, committed):
    cola = make_product("COLA")
    image = upload(cola, 11, committed)
    upload(cola, 12, committed)
    gallery = live.live_gallery()
    live.current_gallery()

    report = maintenance.check_consistency()
    assert report["mismatches"] == 0
    assert report["workers"][0]["consistent"] is True

    gallery.index.remove([image.pk])  # an index that drifted from the database
    gallery.report(force=True, checksum=True)
    with committed():
        report = maintenance.check_consistency()
    assert report["mismatches"] == 1
    assert "serves 1 photos, the database says 2" in report["workers"][0]["detail"]
    assert GalleryWorker.objects.get(name=gallery.name).consistent is False
    assert report["repaired_generation"] == 2
    assert GalleryState.objects.get().last_check["mismatches"] == 1

    assert len(live.current_gallery()) == 2  # reloaded from the database
    assert maintenance.check_consistency()["workers"][0]["consistent"] is True


def test_worker_behind_the_head_is_not_judged(engine_settings, make_product, committed):
    cola = make_product("COLA")
    live.current_gallery()
    upload(cola, 11, committed)  # this process has not synced yet
    report = maintenance.check_consistency()
    assert report["mismatches"] == 0
    assert report["workers"][0]["consistent"] is None
    assert report["workers"][0]["detail"].startswith("behind")


def test_add_crop_of_a_checkout_photo(engine_settings, make_product, committed):
    from tests.recognition.conftest import encode, scene

    cola = make_product("COLA")
    with committed():
        added = services.add_crop(cola, encode(scene()), [340, 20, 620, 300])
    assert (added.image.width, added.image.height) == (280, 280)
    assert GalleryEmbedding.objects.get(pk=added.image.pk).status == "indexed"
    with pytest.raises(InvalidInput) as caught:
        services.add_crop(cola, encode(scene()), [10, 10, 15, 400])
    assert "box" in caught.value.fields


def test_lost_pending_task_and_bad_photo(engine_settings, make_product, committed):
    from datetime import timedelta

    from django.utils import timezone

    cola = make_product("COLA")
    (added,) = services.add_photos(cola, [services.Upload(photo(11), "a.png")])  # never committed: task lost
    assert GalleryEmbedding.objects.get(pk=added.image.pk).status == "pending"
    GalleryEmbedding.objects.filter(pk=added.image.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    with committed():
        assert maintenance.reembed_stale()["queued"] == 1
    assert GalleryEmbedding.objects.get(pk=added.image.pk).status == "indexed"

    engine_settings.GALLERY_REQUEUE_AFTER_SECONDS = 0
    image = upload(cola, 12, committed)
    with committed():
        from gallery.tasks import embed_image

        image.image.storage.delete(image.image.name)
        image.image.storage.save(image.image.name, __import__("io").BytesIO(b"\x89PNG\r\n\x1a\n broken"))
        embed_image.delay(image.pk)
    bad = GalleryEmbedding.objects.get(pk=image.pk)
    assert bad.status == "failed" and bad.failure_reason.startswith("cannot decode the photo")
    with committed():
        assert maintenance.reembed_stale()["queued"] == 0  # a bad photo is not retried under the same model


def test_checksum_of_an_older_version_is_not_judged(engine_settings, make_product, committed):
    cola = make_product("COLA")
    upload(cola, 11, committed)
    live.current_gallery()
    engine_settings.GALLERY_HEARTBEAT_SECONDS = 3600  # the next checksum is not due yet
    upload(cola, 12, committed)
    live.current_gallery()  # serves v2 at once, its checksum still describes v1
    worker = GalleryWorker.objects.get(name=live.live_gallery().name)
    assert (worker.version, worker.checksum_version, worker.entries) == (2, 1, 2)
    report = maintenance.check_consistency()
    assert report["mismatches"] == 0 and report["workers"][0]["consistent"] is None


def test_no_worker_is_judged_while_the_head_keeps_moving(engine_settings, make_product, committed, monkeypatch):
    cola = make_product("COLA")
    upload(cola, 11, committed)
    live.current_gallery()
    reads = iter(range(1, 100))
    monkeypatch.setattr(maintenance.changelog, "read_head", lambda **kw: changelog.Head(next(reads), 1))
    # The check judges at the head it read last before giving up (v5): a worker at it whose
    # report differs from the expectation computed meanwhile must not trigger a repair.
    GalleryWorker.objects.update(version=5, checksum_version=5, entries=0)
    report = maintenance.check_consistency()
    assert report["mismatches"] == 0 and "repaired_generation" not in report
    assert report["workers"][0]["consistent"] is None
    assert report["workers"][0]["detail"].startswith("not judged")
    assert GalleryState.objects.get().generation == 1
