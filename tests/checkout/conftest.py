"""Checkout fixtures: the WeChat fakes, the tiny Paddle models of tests/recognition, a gallery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import Product
from tests.recognition.conftest import ITEM_A, ITEM_B, encode, models, pattern  # noqa: F401 - fixture


@pytest.fixture
def engine_settings(settings, models, tmp_path) -> Iterator[None]:  # noqa: F811 - the imported fixture
    """Point the engine at the tiny models and keep photos in a temporary media folder."""
    from gallery import live
    from recognition import runtime

    settings.SHITU_DET_MODEL_DIR = str(models["det_legacy"])
    settings.SHITU_REC_MODEL_DIR = str(models["rec_legacy"])
    settings.SHITU_INDEX_PATH = tmp_path / "no-index.faiss"
    settings.GALLERY_SYNC_THREAD = False
    settings.GALLERY_MAINBODY_CROP = False  # the tiny detector boxes fixed places: embed reference photos whole
    settings.MEDIA_ROOT = tmp_path / "media"
    runtime.reset()
    live.reset()
    yield
    live.reset()
    runtime.reset()


@pytest.fixture
def eager(engine_settings) -> Iterator[None]:
    """Tasks run in-process, as in the embedded default (also when the suite runs with REDIS_URL)."""
    from checkout.tasks import recognize_photo

    conf = recognize_photo.app.conf
    before = conf.task_always_eager
    conf.CELERY_TASK_ALWAYS_EAGER = True  # the Django-namespaced key is the one Celery reads here
    yield
    conf.CELERY_TASK_ALWAYS_EAGER = before


@pytest.fixture
def gallery_products(store) -> dict[str, Product]:
    """Products A and B with one reference photo each (C stays unknown), photos queued for embedding."""
    from gallery.services import Upload, add_photos

    made = {}
    for sku, seed, price in (("SKU-A", ITEM_A, 350), ("SKU-B", ITEM_B, 1200)):
        product = Product.objects.create(sku=sku, name=f"Item {sku[-1]}", price_fen=price, stock=20)
        add_photos(product, [Upload(encode(pattern(seed)), f"{sku}.png")])
        made[sku] = product
    return made
