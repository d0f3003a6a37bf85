"""Fault-test fixtures shared by the in-process tests."""

from __future__ import annotations

import pytest

DEAD_REDIS = "redis://127.0.0.1:1/0"  # connection refused at once


@pytest.fixture
def dead_cache(settings):
    """The cache is a Redis nobody listens on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
