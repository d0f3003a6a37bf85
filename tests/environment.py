"""Loaded before Django's settings (``-p tests.environment`` in pyproject.toml).

A test run with DATABASE_URL / REDIS_URL is in server mode, which refuses to start without a
secret key and WeChat Pay's settings.  The run shares one throw-away key (its dev servers and
workers inherit it, as the hosts of one deployment would) and never takes real payments: the
WeChat fakes are configured per test.

It also compiles stale translation catalogues (``smart_container.catalogues``; .ci/run runs
compilemessages too), so a fresh checkout runs
the README's test command with no compilemessages step.  That has to happen before Django loads
here: Django caches each language's catalogue the first time it translates anything (at
collection already), and a catalogue compiled later would not be seen by this run.
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-key-not-secret-" + "0" * 32)
os.environ.setdefault("WECHATPAY_REQUIRED", "false")

from smart_container.catalogues import compile_stale_catalogues

compile_stale_catalogues(Path(__file__).resolve().parent.parent / "locale")
