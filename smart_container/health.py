"""``/healthz``: is this instance able to serve?  Used by load balancers and operators."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from recognition.conf import model_status


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}


def _check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True, "configured": True}
    except Exception as exc:
        return {"ok": False, "configured": True, "error": str(exc)[:200]}


@never_cache
def healthz(request):
    """200 when the database (and Redis, if configured) answer; 503 otherwise.

    Model files are reported but do not fail the check: the catalog and orders keep
    working while models are being fetched.
    """
    database, redis_state = _check_database(), _check_redis()
    ok = database["ok"] and redis_state["ok"]
    body = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "redis": redis_state,
        "models": model_status(),
    }
    return JsonResponse(body, status=200 if ok else 503)
