"""rundemo on a machine without internet: every download failure is one line naming the URL and
the setting or flag that points to a local copy; and the README's offline form (the stand-in
models and catalog of ../shared) serves checkout photos one after another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from recognition.engine import model_store
from tests.demo.test_rundemo_server import ROOT, DemoProcess, clean_env, free_port, wait_until_serving
from tests.recognition.conftest import models  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: connection refused, as with no network
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "models").is_dir()), None)


def rundemo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "rundemo", "--no-serve", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_models_unreachable_is_one_line_naming_the_url_and_the_settings(tmp_path):
    result = rundemo(clean_env(SC_VAR_DIR=str(tmp_path / "var"), SHITU_MODEL_BASE_URL=UNREACHABLE))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.strip().splitlines()
    url = model_store.REGISTRY["detector"].url(UNREACHABLE)
    assert line.startswith(f"CommandError: detector: {url}: download failed: connection refused; ")
    assert "SHITU_MODEL_CACHE" in line and "SHITU_MODEL_BASE_URL" in line


def test_demo_gallery_unreachable_names_the_url_and_the_catalog_flag(tmp_path, models):  # noqa: F811
    env = clean_env(
        SC_VAR_DIR=str(tmp_path / "var"),
        SHITU_MODEL_BASE_URL=UNREACHABLE,
        SHITU_DET_MODEL_DIR=str(models["det_legacy"]),
        SHITU_REC_MODEL_DIR=str(models["rec_legacy"]),
    )
    result = rundemo(env)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"CommandError: demo gallery: {model_store.DEMO_GALLERY.url(UNREACHABLE)}: download failed")
    assert "--catalog DIR" in line and "--paddleclas-gallery DIR" in line


@pytest.mark.skipif(SHARED is None, reason="needs ../shared (stand-in models and the retail catalog)")
def test_readme_offline_form_serves_photo_after_photo(tmp_path):
    """``SHITU_MODEL_CACHE=../shared/models python manage.py rundemo --catalog ../shared/datasets/retail_catalog``
    with the real network structures (random weights) and oneDNN: three photos, three carts."""
    port = free_port()
    env = clean_env(SC_VAR_DIR=str(tmp_path / "var"), SHITU_MODEL_CACHE=str(SHARED / "models"))
    catalog = SHARED / "datasets" / "retail_catalog"
    demo = DemoProcess(["--catalog", str(catalog), "--addrport", f"127.0.0.1:{port}"], env)
    try:
        demo.wait_for(r"DEVELOPMENT ONLY: fake WeChat")
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, demo)
        assert "Traceback" not in demo.output
        http = requests.Session()
        login = http.post(f"{base}/api/v1/auth/wechat/login", json={"code": "offline-1"}, timeout=10)
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access']}"
        for name in ("0001.jpg", "0002.jpg", "0003.jpg"):
            photo = (catalog / "images" / name).read_bytes()
            answer = http.post(f"{base}/api/v1/checkout/recognize", files={"image": (name, photo)}, timeout=120)
            assert answer.status_code == 200, (name, answer.text)
            cart = answer.json()
            assert cart["status"] == "done" and "lines" in cart and "unknown" in cart
            assert cart["lines"] or cart["unknown"]  # the random-weight detector always finds boxes
    finally:
        demo.stop()
