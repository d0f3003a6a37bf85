"""POST /checkout/recognize against real Redis and a real Celery worker process on the recognition queue.

Needs DATABASE_URL (PostgreSQL: the worker process shares the test database) and REDIS_URL.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from checkout.models import Recognition
from gallery.models import GalleryEmbedding
from recognition import runtime
from tests.recognition.conftest import encode, scene

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL shared with the worker process",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(engine_settings, tmp_path):
    """A celery worker (queues recognition and gallery) on the test database, models from the fixture."""
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # this run's own Redis database: no stale tasks
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SHITU_DET_MODEL_DIR": settings.SHITU_DET_MODEL_DIR,
        "SHITU_REC_MODEL_DIR": settings.SHITU_REC_MODEL_DIR,
        "SHITU_INDEX_PATH": str(settings.SHITU_INDEX_PATH),
        "GALLERY_MAINBODY_CROP": "false",
        "GALLERY_SYNC_INTERVAL_MS": "100",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smart_container", "worker", "-Q", "recognition,gallery",
         "--pool=solo", "-n", f"checkout-test-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _upload(api, **extra):
    image = io.BytesIO(encode(scene()))
    image.name = "basket.png"
    return api.post("/api/v1/checkout/recognize", {"image": image, **extra}, format="multipart")


def test_recognize_runs_in_the_worker(api, worker, gallery_products, settings, tmp_path):
    _wait_for(lambda: GalleryEmbedding.objects.filter(status="indexed").count() == 2, 180, "gallery embeddings")
    settings.CHECKOUT_RECOGNIZE_WAIT_SECONDS = 60
    response = _upload(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"SKU-A": 2, "SKU-B": 1}
    assert body["total_fen"] == 2 * 350 + 1200 and len(body["unknown"]) == 1
    assert runtime._engine is None  # this (web) process never loaded a model: the worker did the work

    # A second photo is answered by the same warm worker without reloading the models.
    started = time.monotonic()
    assert _upload(api).status_code == 200
    assert time.monotonic() - started < 30

    # Loading the models did not take the worker's SIGTERM (warm shutdown) away: Paddle's own
    # handler would abort it with "FatalError: Termination signal" (exit -6/-15, no clean stop).
    worker.terminate()
    assert worker.wait(timeout=30) == 0
    log = (tmp_path / "worker.log").read_text()
    assert "Termination signal" not in log and "worker: Warm shutdown" in log, log[-3000:]


def test_slow_worker_answers_202_and_the_poll_url_completes(api, worker, gallery_products, settings):
    _wait_for(lambda: GalleryEmbedding.objects.filter(status="indexed").count() == 2, 180, "gallery embeddings")
    from smart_container.celery import app

    settings.CHECKOUT_RECOGNIZE_WAIT_SECONDS = 0.5
    app.control.cancel_consumer("recognition", reply=True, timeout=10)  # the worker is "busy" elsewhere
    response = _upload(api)
    assert response.status_code == 202, response.content
    poll = response.json()["poll"]
    assert response["Location"] == poll and response.json()["status"] == "pending"
    path = poll.split("testserver", 1)[1]
    assert api.get(path).json()["status"] == "pending"
    app.control.add_consumer("recognition", reply=True, timeout=10)

    def finished():
        return api.get(path).json()["status"] != "pending"

    _wait_for(finished, 120, "the recognition to finish")
    body = api.get(path).json()
    assert body["status"] == "done" and body["total_fen"] == 2 * 350 + 1200
    assert Recognition.objects.get(pk=body["id"]).completed_at is not None
