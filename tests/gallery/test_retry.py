"""Photos that failed to embed (or never were) get another chance, on demand."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gallery import live, services
from gallery.models import GalleryEmbedding
from recognition import runtime

from .conftest import photo

pytestmark = pytest.mark.django_db


def gallery_command(*args: str) -> str:
    out = io.StringIO()
    call_command("gallery", *args, stdout=out)
    return out.getvalue()


def test_retry_failed_embeds_what_failed_while_the_models_were_missing(
    engine_settings, make_product, committed, tmp_path
):
    real_extractor = engine_settings.SHITU_REC_MODEL_DIR
    engine_settings.SHITU_REC_MODEL_DIR = str(tmp_path / "not-yet-downloaded")
    runtime.reset()
    cola, chips = make_product("COLA"), make_product("CHIPS")
    with committed():
        services.add_photos(cola, [services.Upload(photo(11), "a.png"), services.Upload(photo(12), "b.png")])
        services.add_photos(chips, [services.Upload(photo(13), "c.png")])
    assert set(GalleryEmbedding.objects.values_list("status", flat=True)) == {"failed"}
    status = gallery_command("status")
    assert "0 photos indexed, 0 pending, 3 failed" in status
    assert "3 failed: recognition model unavailable" in status  # the reason, not a silent count

    engine_settings.SHITU_REC_MODEL_DIR = real_extractor  # the models arrive
    runtime.reset()
    live.reset()
    with committed():
        out = gallery_command("retry-failed")
    assert "queued 3 photos for embedding (3 failed, 0 pending)" in out
    assert "3 photos indexed, 0 pending, 0 failed" in gallery_command("status")
    assert set(GalleryEmbedding.objects.values_list("status", flat=True)) == {"indexed"}
    assert len(live.current_gallery()) == 3


def test_retry_requeues_pending_photos_and_photos_without_an_embedding(engine_settings, make_product, committed):
    cola = make_product("COLA")
    with committed():
        (added,) = services.add_photos(cola, [services.Upload(photo(11), "a.png")])
    GalleryEmbedding.objects.filter(pk=added.image.pk).update(status="pending", vector=None)  # its task was lost
    with committed():
        (other,) = services.add_photos(cola, [services.Upload(photo(12), "b.png")])
    GalleryEmbedding.objects.filter(pk=other.image.pk).delete()  # a photo stored around the photo service
    with committed():
        retried = services.retry_unindexed()
    assert (retried.failed, retried.pending, retried.queued) == (0, 2, 2)
    assert set(GalleryEmbedding.objects.values_list("status", flat=True)) == {"indexed"}
    with committed():
        assert services.retry_unindexed().queued == 0  # nothing left to retry: indexed photos are left alone
