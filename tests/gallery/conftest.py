"""Gallery fixtures: helper-1's tiny Paddle models configured as the real ones, photos, staff."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog.services import create_product
from gallery import live
from recognition import runtime
from smart_container.celery import app as celery_app
from tests.recognition.conftest import encode, models, pattern  # noqa: F401  (shared fixtures)


def photo(seed: int, fmt: str = "PNG") -> bytes:
    """A product photo: a distinct colour grid per seed."""
    return encode(pattern(seed), fmt)


@pytest.fixture
def engine_settings(settings, models, tmp_path):  # noqa: F811
    """Tiny detector and extractor as the configured models; media in a temp folder; inline sync.

    Tasks run in-process (the embedded mode) even when REDIS_URL is set: these tests are
    about one process; tests/gallery/test_workers.py runs real workers.
    """
    eager = celery_app.conf.task_always_eager
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    settings.SHITU_DET_MODEL_DIR = str(models["det_pir"])
    settings.SHITU_REC_MODEL_DIR = str(models["rec_pir"])
    settings.SHITU_MKLDNN = False
    settings.SHITU_CPU_THREADS = 1
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GALLERY_SYNC_THREAD = False
    settings.GALLERY_SYNC_INTERVAL_MS = 0
    cache.clear()
    runtime.reset()
    live.reset()
    yield settings
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=eager)
    live.reset()
    runtime.reset()
    cache.clear()


@pytest.fixture
def staff(staff_user):
    """The staff member ``staff_client`` (tests/conftest.py) signs in as."""
    return staff_user


@pytest.fixture
def make_product(db):
    def make(sku: str, **fields):
        return create_product(sku=sku, name=fields.pop("name", f"Product {sku}"), price_fen=fields.pop("price", 500))

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block's on-commit callbacks (queued tasks, head publication)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
