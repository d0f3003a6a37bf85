"""Embedded default and production are one code path: only the environment differs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'db_name': str(s.DATABASES['default']['NAME']), "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, "
    "'cache': s.CACHES['default']['BACKEND'], 'media': str(s.MEDIA_ROOT), 'debug': s.DEBUG}))"
)


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("SC_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="smart_container.settings")
    return subprocess.run(
        [sys.executable, *args] if not code else [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_environment_means_embedded(tmp_path):
    result = run_python(PROBE, {"SC_VAR_DIR": str(tmp_path)})
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config["db"] == "django.db.backends.sqlite3"
    assert config["db_name"] == str(tmp_path / "db.sqlite3")
    assert config["eager"] is True and config["broker"] == "memory://localhost/"
    assert config["cache"].endswith("LocMemCache")
    assert config["media"] == str(tmp_path / "media")
    assert config["debug"] is False
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # generated, private


def test_database_and_redis_urls_switch_to_production(tmp_path):
    env = {
        "SC_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/2",
    }
    config = json.loads(run_python(PROBE, env).stdout.strip().splitlines()[-1])
    assert config["db"] == "django.db.backends.postgresql" and config["db_name"] == "test"
    assert config["eager"] is False and config["broker"] == "redis://127.0.0.1:6379/2"
    assert config["cache"].endswith("RedisCache")


@pytest.mark.slow
def test_embedded_default_migrates_seeds_and_serves(tmp_path):
    """The whole embedded path with no services: migrate, seed a catalog, answer the API."""
    catalog = tmp_path / "catalog"
    (catalog / "images").mkdir(parents=True)
    from tests.conftest import image_bytes

    (catalog / "images" / "a.jpg").write_bytes(image_bytes())
    (catalog / "catalog.csv").write_text("sku,name,price,image\nE1,Embedded,2.5,images/a.jpg\n")
    env = {"SC_VAR_DIR": str(tmp_path / "var")}
    prepared = run_python("", env, "manage.py", "rundemo", "--catalog", str(catalog), "--no-serve")
    assert prepared.returncode == 0, prepared.stderr
    assert "1 created" in prepared.stdout and "Admin:" in prepared.stdout
    password = (tmp_path / "var" / "demo_admin_password").read_text().strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"{base}/healthz", timeout=2).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "dev server did not come up"
                time.sleep(0.3)
        assert health["database"]["vendor"] == "sqlite" and health["redis"]["configured"] is False
        products = requests.get(f"{base}/api/v1/products", auth=("admin", password), timeout=10)
        assert products.status_code == 200
        assert products.json()["results"][0]["price_fen"] == 250
        assert requests.get(f"{base}/api/v1/products", auth=("admin", "wrong"), timeout=10).status_code in (401, 403)
        assert requests.get(f"{base}/api/docs/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
