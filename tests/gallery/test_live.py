"""The live gallery follows the database: uploads appear, deletions and deactivations disappear."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from catalog.models import ProductImage
from catalog.services import update_product
from gallery import changelog, live, selectors, services
from gallery.embedding import embed_photo
from gallery.models import GalleryChange, GalleryEmbedding, GalleryWorker
from recognition import runtime

from .conftest import photo

pytestmark = pytest.mark.django_db


def add(product, seed: int, committed) -> ProductImage:
    """Upload one photo and run its (eager) embedding task, as a commit would."""
    with committed():
        (added,) = services.add_photos(product, [services.Upload(photo(seed), f"p{seed}.png")])
    return added.image


def best_label(seed: int) -> tuple[str | None, float]:
    query = embed_photo(photo(seed)).vector[None, :]
    (hits,) = live.current_gallery().search(query, 1)
    return (hits[0][1], hits[0][2]) if hits else (None, 0.0)


def test_uploaded_photo_is_embedded_logged_and_served(engine_settings, make_product, committed):
    cola, tea = make_product("COLA"), make_product("TEA")
    assert len(live.current_gallery()) == 0
    image = add(cola, 11, committed)
    add(tea, 22, committed)

    embedding = GalleryEmbedding.objects.get(pk=image.pk)
    assert embedding.status == "indexed"
    assert embedding.dim == 512 and embedding.as_array().shape == (512,)
    assert abs(float(np.linalg.norm(embedding.as_array())) - 1.0) < 1e-4
    assert embedding.model_version.startswith("rec_pir@")
    assert embedding.crop_box is None  # the whole photo, by default
    assert list(GalleryChange.objects.values_list("version", "op", "label")) == [(1, "add", "COLA"), (2, "add", "TEA")]

    assert best_label(11)[0] == "COLA"
    assert best_label(11)[1] > 0.999
    assert best_label(22)[0] == "TEA"
    assert live.live_gallery().version == 2


def test_deactivate_reactivate_and_sku_change_follow(engine_settings, make_product, committed):
    cola, tea = make_product("COLA"), make_product("TEA")
    add(cola, 11, committed)
    add(tea, 22, committed)
    assert best_label(11)[0] == "COLA"

    with committed():
        update_product(cola, is_active=False)
    assert best_label(11)[0] == "TEA"  # COLA no longer matches; only TEA is left
    assert len(live.current_gallery()) == 1

    with committed():
        update_product(cola, is_active=True)
    assert best_label(11)[0] == "COLA"

    with committed():
        update_product(cola, sku="COLA-330")
    assert best_label(11)[0] == "COLA-330"
    ops = list(GalleryChange.objects.values_list("op", "label", "reason"))
    assert ops[2:] == [
        ("remove", "COLA", "product deactivated"),
        ("add", "COLA", "product reactivated"),
        ("add", "COLA-330", "SKU changed"),
    ]


def test_price_change_logs_nothing(engine_settings, make_product, committed):
    cola = make_product("COLA")
    add(cola, 11, committed)
    update_product(cola, price_fen=650, stock=3)
    assert GalleryChange.objects.count() == 1


def test_deleting_photo_or_product_removes_it(engine_settings, make_product, committed):
    cola, tea = make_product("COLA"), make_product("TEA")
    image = add(cola, 11, committed)
    add(cola, 12, committed)
    add(tea, 22, committed)
    assert len(live.current_gallery()) == 3

    image_id = image.pk
    with committed():
        services.remove_photo(image, reason="blurry")
    assert len(live.current_gallery()) == 2
    assert best_label(12)[0] == "COLA"
    last = GalleryChange.objects.last()
    assert (last.op, last.image_id, last.reason) == ("remove", image_id, "blurry")

    with committed():
        cola.delete()
    assert set(live.current_gallery().labels.values()) == {"TEA"}


def test_rolled_back_change_is_not_logged_nor_served(engine_settings, make_product, committed):
    cola = make_product("COLA")
    add(cola, 11, committed)
    with pytest.raises(DjangoValidationError), committed():
        update_product(cola, is_active=False, price_fen=-5)  # invalid: the whole update rolls back
    assert GalleryChange.objects.count() == 1
    assert changelog.read_head(from_db=True).version == 1
    assert best_label(11)[0] == "COLA"


def test_new_generation_reloads_into_a_fresh_index(engine_settings, make_product, committed):
    cola = make_product("COLA")
    add(cola, 11, committed)
    before = live.current_gallery()
    generation = live.live_gallery().generation
    with committed():
        changelog.bump_generation()
    after = live.current_gallery()
    assert after is not before  # built beside the serving index, then swapped
    assert live.live_gallery().generation == generation + 1
    assert after.labels == before.labels


def test_head_is_found_in_the_database_when_the_cache_is_empty(engine_settings, make_product, committed):
    from django.core.cache import cache

    cola = make_product("COLA")
    live.current_gallery()
    with committed():
        services.add_photos(cola, [services.Upload(photo(11), "a.png")])
    cache.clear()  # e.g. Redis flushed: the periodic database check still finds the change
    live.live_gallery().refresh(force=True)
    assert best_label(11)[0] == "COLA"


def test_worker_reports_what_it_serves(engine_settings, make_product, committed):
    cola = make_product("COLA")
    add(cola, 11, committed)
    live.current_gallery()
    gallery = live.live_gallery()
    worker = GalleryWorker.objects.get(name=gallery.name)
    assert (worker.version, worker.entries) == (1, 1)
    assert worker.checksum == selectors.membership_checksum([(ProductImage.objects.get().pk, "COLA")])


def test_vectors_from_another_model_are_not_served(engine_settings, make_product, committed):
    cola = make_product("COLA")
    image = add(cola, 11, committed)
    with committed():
        services.store_embedding(image.pk, np.ones(512, np.float32) / np.sqrt(512), "other_model@123456")
    assert len(live.current_gallery()) == 0


def test_mainbody_crop_embeds_the_detected_box(engine_settings, make_product, committed):
    engine_settings.GALLERY_MAINBODY_CROP = True
    cola = make_product("COLA")
    image = add(cola, 11, committed)
    embedding = GalleryEmbedding.objects.get(pk=image.pk)
    # The tiny detector's best box (20, 20, 300, 300 in its 640 frame) on a 280-pixel photo.
    assert embedding.crop_box == pytest.approx([8.8, 8.8, 131.2, 131.2], abs=0.2)
    assert np.allclose(embed_photo(photo(11)).vector, embedding.as_array(), atol=1e-5)  # checkout-side too
    engine_settings.GALLERY_MAINBODY_CROP = False
    assert not np.allclose(embed_photo(photo(11)).vector, embedding.as_array(), atol=1e-3)  # whole photo differs


def test_photos_added_outside_the_gallery_services_are_embedded_too(engine_settings, make_product, committed):
    from catalog.services import add_product_image

    cola = make_product("COLA")
    with committed():
        added = add_product_image(cola, photo(11), "import.png")  # e.g. the catalog importer
    assert GalleryEmbedding.objects.get(pk=added.image.pk).status == "indexed"
    assert best_label(11)[0] == "COLA"


def test_search_does_not_wait_for_a_sync_in_progress(engine_settings, make_product, committed):
    import threading

    cola = make_product("COLA")
    add(cola, 11, committed)
    assert len(live.current_gallery()) == 1
    add(cola, 12, committed)
    gallery = live.live_gallery()
    gallery._sync_lock.acquire()  # another thread is in the middle of a sync
    try:
        served = {}
        searcher = threading.Thread(target=lambda: served.update(index=live.current_gallery()))
        searcher.start()
        searcher.join(timeout=30)
        assert not searcher.is_alive(), "current_gallery() waited for the sync"
        assert len(served["index"]) == 1  # the index as it was
    finally:
        gallery._sync_lock.release()
    assert len(live.current_gallery()) == 2  # and the next call catches up


def test_worker_preload_loads_the_gallery_and_warms_the_models(engine_settings, db):
    from gallery import tasks

    assert runtime.engine().models is None and live._live is None
    tasks._preload()  # what each worker process runs in a thread at start with GALLERY_PRELOAD
    assert runtime.engine().models is not None  # the first checkout does not build them
    assert live._live is not None
