"""A dependency that is down answers a fast 503 in the one error shape, and the gallery sync
thread backs off and logs once per change of state.  In-process, with Redis pointed at a port
nothing listens on; tests/faults/test_outages.py freezes a real Redis under real processes."""

from __future__ import annotations

import logging
import time

import pytest
from rest_framework.test import APIClient

from tests.faults.conftest import DEAD_REDIS

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_while_the_cache_is_down_is_a_fast_503_in_the_error_shape(wechat, dead_cache):
    started = time.monotonic()
    response = APIClient().post("/api/v1/auth/wechat/login", {"code": "alice-1"}, format="json")
    assert time.monotonic() - started < 3
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "service_unavailable" and "Redis" in error["message"]


def test_the_database_failing_is_a_503_naming_it(settings, staff_client):
    from django.db import connection

    def refuse(execute, sql, params, many, context):
        from django.db import OperationalError

        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        response = staff_client.get("/api/v1/products")
    assert response.status_code == 503
    assert response.json()["error"]["message"].startswith("The database is unavailable")


def test_gallery_sync_reads_the_database_while_the_cache_is_down_and_logs_each_change_once(settings, caplog):
    """Before: a traceback every 200 ms (125 of them in a 37 s outage)."""
    from gallery import live

    settings.GALLERY_SYNC_INTERVAL_MS = 20
    settings.GALLERY_SYNC_MAX_BACKOFF_SECONDS = 0.2
    gallery = live.LiveGallery("test-model")
    gallery.reload()
    caplog.set_level(logging.WARNING, logger="gallery.live")
    try:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": DEAD_REDIS,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        gallery.start()
        time.sleep(1.5)  # several attempts, backing off
        assert gallery.cache_error and gallery._thread.is_alive()
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        deadline = time.monotonic() + 5
        while gallery.cache_error is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        gallery.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == "gallery.live"]
    backing_off = [m for m in messages if "backing off" in m]
    assert len(backing_off) == 1 and "cache failing" in backing_off[0], messages
    assert sum("sync ok again" in m for m in messages) == 1, messages
