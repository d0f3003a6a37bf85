"""The README's run command, run as a user runs it: ``python manage.py rundemo`` on a fresh var
dir, with no other step.  A local stand-in for the official download host serves the models
(the tiny in-test models, packed as the official archives) and the demo gallery (PaddleClas
layout).  Then a shopper goes through the whole journey against that server process: log in
through the development WeChat fake rundemo started, three checkout photos one after another
(each on a new server thread, oneDNN on), correct the cart, order it, pay at the fake, which
notifies the server, and get the paid receipt.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from recognition.engine import model_store
from tests.demo_data import DownloadHost
from tests.recognition.conftest import encode, models, scene  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The user's shell: none of the test session's services or settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SC_", "SHITU_", "GALLERY_", "WECHAT", "CHECKOUT_", "DJANGO_"))
        and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {**env, **extra}


class DemoProcess:
    """``manage.py rundemo`` in its own process; its output is collected as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, seconds: float = 240) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            assert self.proc.poll() is None, f"rundemo exited ({self.proc.returncode}):\n{self.output}"
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} within {seconds} s:\n{self.output}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def download_host(tmp_path, models):  # noqa: F811 - the imported fixture
    host = DownloadHost(tmp_path / "www")
    host.publish_models(models["det_legacy"], models["rec_legacy"])
    host.publish_demo_gallery(tmp_path / "build")
    yield host
    host.close()


def published_sha(host: DownloadHost, name: str) -> str:
    return hashlib.sha256((host.root / model_store.REGISTRY[name].path).read_bytes()).hexdigest()


def wait_until_serving(base: str, demo: DemoProcess, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert demo.proc.poll() is None, f"rundemo exited ({demo.proc.returncode}):\n{demo.output}"
        time.sleep(0.3)
    raise AssertionError(f"{base} did not come up:\n{demo.output}")


def test_readme_run_command_serves_the_whole_checkout_journey(tmp_path, download_host):
    port = free_port()
    env = clean_env(
        SC_VAR_DIR=str(tmp_path / "var"),
        SHITU_MODEL_BASE_URL=download_host.url,
        SHITU_REC_SHA256=published_sha(download_host, "extractor"),  # stands in for the published checksum
    )
    demo = DemoProcess(["--addrport", f"127.0.0.1:{port}"], env)
    try:
        fake_url = demo.wait_for(r"DEVELOPMENT ONLY: fake WeChat .* on (http://127\.0\.0\.1:\d+)").group(1)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, demo)
        output = demo.output
        assert "detector: installed" in output and "extractor: installed" in output  # fetched, verified
        assert "products: 3 created" in output and "photos: 5 added" in output  # one product per label
        assert "gallery: 5 photos indexed, 0 pending, 0 failed" in output
        assert "Traceback" not in output
        assert "Task gallery.tasks.embed_image" not in output  # the summary says it all, not a line per photo
        api = f"{base}/api/v1"
        http = requests.Session()

        tokens = http.post(f"{api}/auth/wechat/login", json={"code": "shopper-1"}, timeout=10)
        assert tokens.status_code == 200, tokens.text
        http.headers["Authorization"] = f"Bearer {tokens.json()['access']}"

        photo = encode(scene())  # items A, B, C and A again where the tiny detector looks
        carts = []
        for n in range(3):  # one after another: each request is a new server thread
            answer = http.post(f"{api}/checkout/recognize", files={"image": (f"basket-{n}.png", photo)}, timeout=60)
            assert answer.status_code == 200, (n, answer.text)
            carts.append(answer.json())
        for cart in carts:
            assert {(line["name"], line["quantity"]) for line in cart["lines"]} == {
                ("可口可乐", 2),
                ("雪碧", 1),
                ("农夫山泉", 1),
            }
        cart = carts[-1]
        sprite = next(line for line in cart["lines"] if line["name"] == "雪碧")
        corrected = http.patch(
            f"{api}/checkout/recognitions/{cart['id']}/lines/{sprite['sku']}", json={"quantity": 2}, timeout=10
        )
        assert corrected.status_code == 200, corrected.text
        cart = corrected.json()
        assert cart["total_fen"] == sum(line["unit_price_fen"] * line["quantity"] for line in cart["lines"])

        order = http.post(f"{api}/orders", json={"recognition": cart["id"]}, timeout=10)  # the cart as corrected
        assert order.status_code == 201, order.text
        order = order.json()
        assert order["total_fen"] == cart["total_fen"] and order["status"] == "created"
        assert {(line["sku"], line["quantity"]) for line in order["lines"]} == {
            (line["sku"], line["quantity"]) for line in cart["lines"]
        }
        params = http.post(f"{api}/orders/{order['id']}/pay", timeout=10)
        assert params.status_code == 200, params.text
        assert params.json()["package"].startswith("prepay_id=")

        paid = requests.post(f"{fake_url}/_fake/pay/{order['id'].replace('-', '')}", timeout=10)
        assert paid.status_code == 200 and paid.json()["notify_status"] in (200, 204), paid.text
        final = http.get(f"{api}/orders/{order['id']}", timeout=10).json()
        assert final["status"] == "paid"
        assert final["receipt"]["total_fen"] == cart["total_fen"] and final["receipt"]["transaction_id"]
    finally:
        demo.stop()
    with pytest.raises(requests.ConnectionError):  # the fake stopped with the demo
        requests.get(f"{fake_url}/sns/jscode2session", timeout=2)
