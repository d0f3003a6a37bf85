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


# What the test run sets for itself (tests/environment.py) is left out: each test says what it sets.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "WECHATPAY_REQUIRED", "DJANGO_ALLOWED_HOSTS"}
SERVER_KEYS = {"DJANGO_SECRET_KEY": "one-key-for-every-host", "WECHATPAY_REQUIRED": "false"}


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED and not k.startswith("SC_")}
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
        **SERVER_KEYS,
    }
    config = json.loads(run_python(PROBE, env).stdout.strip().splitlines()[-1])
    assert config["db"] == "django.db.backends.postgresql" and config["db_name"] == "test"
    assert config["eager"] is False and config["broker"] == "redis://127.0.0.1:6379/2"
    assert config["cache"].endswith("RedisCache")


WECHATPAY_ENV = {
    "WECHAT_APP_ID": "wx0123456789abcdef",
    "WECHATPAY_MCH_ID": "1900000109",
    "WECHATPAY_MCH_CERT_SERIAL_NO": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    "WECHATPAY_MCH_PRIVATE_KEY_FILE": "/etc/sc/apiclient_key.pem",
    "WECHATPAY_APIV3_KEY": "0" * 32,
    "WECHATPAY_PUBLIC_KEY_FILE": "/etc/sc/pub_key.pem",
    "WECHATPAY_PUBLIC_KEY_ID": "PUB_KEY_ID_0111222333444555666777888999",
    "WECHATPAY_NOTIFY_URL": "https://shop.example.com/api/v1/payments/wechat/notify",
}


def missing_in(message: str) -> set[str]:
    """The settings the refusal names as missing ("... needs A, B: set them ...")."""
    return set(message.split(" needs ", 1)[1].split(":", 1)[0].split(", "))


@pytest.mark.parametrize(
    ("server_env", "because"),
    [
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}, "DATABASE_URL is set"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/2"}, "REDIS_URL is set"),
        ({"DJANGO_ALLOWED_HOSTS": "shop.example.com"}, "DJANGO_ALLOWED_HOSTS is set and DJANGO_DEBUG is off"),
    ],
)
def test_server_mode_refuses_to_start_without_its_secrets(tmp_path, server_env, because):
    """One message naming every missing setting; no key is generated for a server."""
    refused = run_python(PROBE, {"SC_VAR_DIR": str(tmp_path), **server_env})
    assert refused.returncode != 0
    message = refused.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in message and because in message
    assert {"DJANGO_SECRET_KEY", "WECHATPAY_MCH_ID", "WECHATPAY_NOTIFY_URL"} <= missing_in(message)
    assert not (tmp_path / "secret_key").exists()

    refused = run_python(PROBE, {"SC_VAR_DIR": str(tmp_path), **server_env, "DJANGO_SECRET_KEY": "k"})
    missing = missing_in(refused.stderr.strip().splitlines()[-1])
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" not in missing and "WECHATPAY_APIV3_KEY" in missing

    ready = {"SC_VAR_DIR": str(tmp_path), **server_env, "DJANGO_SECRET_KEY": "k", **WECHATPAY_ENV}
    assert run_python(PROBE, ready).returncode == 0
    no_payments = {"SC_VAR_DIR": str(tmp_path), **server_env, "DJANGO_SECRET_KEY": "k", "WECHATPAY_REQUIRED": "false"}
    assert run_python(PROBE, no_payments).returncode == 0


def test_debug_behind_allowed_hosts_is_not_server_mode(tmp_path):
    env = {"SC_VAR_DIR": str(tmp_path), "DJANGO_ALLOWED_HOSTS": "dev.example.com", "DJANGO_DEBUG": "true"}
    assert run_python(PROBE, env).returncode == 0
    assert (tmp_path / "secret_key").exists()  # a developer's machine keeps generating its key


@pytest.mark.slow
def test_embedded_default_migrates_seeds_and_serves(tmp_path):
    """The whole embedded path with no services: migrate, seed a catalog, answer the API."""
    catalog = tmp_path / "catalog"
    (catalog / "images").mkdir(parents=True)
    from tests.conftest import image_bytes

    (catalog / "images" / "a.jpg").write_bytes(image_bytes())
    (catalog / "catalog.csv").write_text("sku,name,price,image\nE1,Embedded,2.5,images/a.jpg\n")
    env = {"SC_VAR_DIR": str(tmp_path / "var")}
    prepared = run_python("", env, "manage.py", "rundemo", "--catalog", str(catalog), "--no-serve", "--no-fetch")
    assert prepared.returncode == 0, prepared.stderr
    assert "1 created" in prepared.stdout and "Admin:" in prepared.stdout
    password = (tmp_path / "var" / "demo_admin_password").read_text().strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
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
