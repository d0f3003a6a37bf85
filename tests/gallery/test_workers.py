"""Integration: real Redis, PostgreSQL and two Celery worker processes (``gallery`` and ``recognition``).

Upload a photo through the API, then ask the recognition worker until the new product
comes back; delete it (and deactivate another) and see them stop matching.
"""

from __future__ import annotations

import base64
import os
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from gallery.bench import start_workers, stop_workers
from gallery.tasks import probe
from smart_container.celery import app

from .conftest import photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEADLINE = 5.0  # seconds; the 2 s target is measured by `manage.py gallery_bench`


def _needs_services() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and a PostgreSQL DATABASE_URL (worker processes share them)")


@pytest.fixture
def workers(engine_settings, tmp_path):
    """A gallery worker and a recognition worker on this test database, with the tiny models."""
    _needs_services()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smart_container.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SHITU_DET_MODEL_DIR": engine_settings.SHITU_DET_MODEL_DIR,
        "SHITU_REC_MODEL_DIR": engine_settings.SHITU_REC_MODEL_DIR,
        "SHITU_MKLDNN": "false",
        "SHITU_CPU_THREADS": "1",
        "MEDIA_ROOT": str(engine_settings.MEDIA_ROOT),
        "SC_VAR_DIR": str(tmp_path / "var"),
        "GALLERY_SYNC_INTERVAL_MS": "100",
        "GALLERY_PRELOAD": "true",
    }
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False)  # really send the tasks (engine_settings restores it)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("gallery", "recognition")  # nothing left over from an earlier run
    cache.clear()
    procs = start_workers(tmp_path, env=env, prefix="test", timeout=90)
    yield tmp_path
    stop_workers(procs)


def ask_recognition_worker(seed: int) -> dict:
    return probe.delay(base64.b64encode(photo(seed)).decode(), 3).get(timeout=30)


def wait_until(condition, seed: int, deadline: float = DEADLINE) -> tuple[float, dict]:
    """Probe until ``condition(answer)``; returns (seconds taken, last answer)."""
    started = time.monotonic()
    while True:
        answer = ask_recognition_worker(seed)
        if condition(answer):
            return time.monotonic() - started, answer
        if time.monotonic() - started > deadline:
            pytest.fail(f"not within {deadline} s: {answer}")
        time.sleep(0.05)


def top(answer: dict) -> str | None:
    return answer["matches"][0]["label"] if answer["matches"] else None


def test_upload_recognise_delete_across_workers(workers, staff_client):
    warm = ask_recognition_worker(11)  # models and gallery loaded, empty
    assert warm["matches"] == []
    assert not warm["worker"].endswith(f":{os.getpid()}")  # answered by the worker process, not this one

    cola = staff_client.post("/api/v1/products/", {"sku": "COLA", "name": "Cola", "price_fen": 350}, format="json")
    tea = staff_client.post("/api/v1/products/", {"sku": "TEA", "name": "Tea", "price_fen": 400}, format="json")
    cola, tea = cola.json(), tea.json()

    staff_client.post(
        f"/api/v1/products/{tea['id']}/images",
        {"images": [SimpleUploadedFile("tea.png", photo(22))]},
        format="multipart",
    )
    wait_until(lambda a: top(a) == "TEA", 22, deadline=60)  # the gallery worker loads its models here
    upload = staff_client.post(
        f"/api/v1/products/{cola['id']}/images",
        {"images": [SimpleUploadedFile("cola.png", photo(11))]},
        format="multipart",
    )
    assert upload.status_code == 201
    image_id = upload.json()[0]["id"]
    took, answer = wait_until(lambda a: top(a) == "COLA", 11)
    assert answer["matches"][0]["score"] > 0.99 and answer["matches"][0]["id"] == image_id
    print(f"upload -> recognisable: {took:.2f} s")

    status = staff_client.get("/api/v1/gallery/status").json()
    assert status["indexed"] == 2
    serving = [w for w in status["workers"] if w["alive"] and w["entries"] == 2]
    assert serving and serving[0]["version"] == status["version"]  # the recognition worker reports the head

    assert staff_client.delete(f"/api/v1/products/{cola['id']}/images/{image_id}").status_code == 204
    took, answer = wait_until(lambda a: top(a) != "COLA", 11)
    assert "COLA" not in [m["label"] for m in answer["matches"]]
    print(f"delete -> gone: {took:.2f} s")

    patched = staff_client.patch(f"/api/v1/products/{tea['id']}/", {"is_active": False}, format="json")
    assert patched.status_code == 200
    _, answer = wait_until(lambda a: a["matches"] == [], 22)
    assert answer["version"] == status["version"] + 2
