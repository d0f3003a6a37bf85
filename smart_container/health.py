"""``/healthz``: is this instance able to serve?  Used by load balancers and operators.

It answers within ``HEALTHZ_TIMEOUT_SECONDS`` whatever its dependencies do: each check runs
on its own thread and is reported as failed when it has not answered in time.  A check still
stuck from an earlier request is not started again, so a frozen dependency holds at most one
thread per check and process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from payments.platform_keys import certificate_status
from recognition.conf import model_status


def _check_database() -> dict:
    """Connect and ask (a fresh connection each time: connecting is part of being able to serve)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}
    finally:
        connection.close()


def _check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
            retry=None,
        )
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True, "configured": True}
    except Exception as exc:
        return {"ok": False, "configured": True, "error": str(exc)[:200]}


def _check_wechatpay() -> dict:
    """The key modes and each platform certificate's expiry (from the database; WeChat is not asked)."""
    try:
        return certificate_status(
            modes=tuple(settings.WECHATPAY_KEY_MODES),
            public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID,
            renew_hours=settings.WECHATPAY_CERTIFICATE_RENEW_HOURS,
        )
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    finally:
        connection.close()


CHECKS: dict[str, Callable[[], dict]] = {
    "database": _check_database,
    "redis": _check_redis,
    "wechatpay": _check_wechatpay,
}
SERVING = ("database", "redis")  # the others are reported (ok: false warns) but do not fail /healthz
_executors = {name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"healthz-{name}") for name in CHECKS}
_running: dict[str, Future] = {}
_lock = threading.Lock()


def _start(name: str) -> Future:
    with _lock:
        future = _running.get(name)
        if future is None or future.done():
            future = _running[name] = _executors[name].submit(CHECKS[name])
        return future


def run_checks(timeout: float) -> dict[str, dict]:
    """Every check's answer, or a failure for those that did not answer within ``timeout`` seconds."""
    futures = {name: _start(name) for name in CHECKS}
    deadline = time.monotonic() + timeout
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = {"ok": False, "error": f"no answer within {timeout:g} s"}
    return results


@never_cache
def healthz(request):
    """200 when the database (and Redis, if configured) answer in time; 503 otherwise.

    Model files and WeChat Pay's certificates are reported but do not fail the check: the
    catalog and orders keep working while models are fetched, and taking an instance out of a
    load balancer does not renew a certificate every instance shares.
    """
    results = run_checks(settings.HEALTHZ_TIMEOUT_SECONDS)
    ok = all(results[name]["ok"] for name in SERVING)
    body = {"status": "ok" if ok else "unavailable", **results, "models": model_status()}
    return JsonResponse(body, status=200 if ok else 503)
