"""Loaded before Django's settings (``-p tests.environment`` in pyproject.toml).

A test run with DATABASE_URL / REDIS_URL is in server mode, which refuses to start without a
secret key and WeChat Pay's settings.  The run shares one throw-away key (its dev servers and
workers inherit it, as the hosts of one deployment would) and never takes real payments: the
WeChat fakes are configured per test.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-key-not-secret-" + "0" * 32)
os.environ.setdefault("WECHATPAY_REQUIRED", "false")
