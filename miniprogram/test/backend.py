"""The real backend for the mini-program's node tests: the Django app on the embedded default
(SQLite and in-process tasks in its own var dir, served by gunicorn), the tiny PP-ShiTuV2
models of tests/recognition, and the fake WeChat servers (code2session + Pay v3).

    python miniprogram/test/backend.py VAR_DIR

Prints one JSON line (URLs, the app id, key files, fixture photos) once everything answers,
then serves until stdin closes or SIGTERM.  Nothing here is mocked: the mini-program's test
``wx`` talks HTTP to these processes.  The server gets a clean environment (no DATABASE_URL or
REDIS_URL from the caller), so the node tests never need PostgreSQL or Redis.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.recognition.conftest import ITEM_A, ITEM_B, ITEM_C, encode, pattern, scene  # noqa: E402
from tests.recognition.tiny_models import legacy_model_settings  # noqa: E402
from wechat_fake import FakeWeChat, generate_keypair  # noqa: E402

APP_ID = "wxminiprogramtest01"
APP_SECRET = "miniprogram-test-secret"
MCH_ID = "1900000201"
MCH_SERIAL = "6B2E7C1D9A0F4E3B8C5D2A1F0E9D8C7B6A5F4E3D"
PUBLIC_KEY_ID = "PUB_KEY_ID_0112233445566778899001122334455"
STORES = [("demo", "智能货柜·演示店"), ("shop-2", "智能货柜·二号店")]
# sku, name, price (fen), barcode, reference photo
PRODUCTS = [
    ("SKU-A", "可口可乐 330ml", 350, "6900000000011", "a"),
    ("SKU-A2", "百事可乐 330ml", 300, "6900000000028", "a2"),
    ("SKU-B", "乐事薯片 原味", 1200, "6900000000035", "b"),
    ("SKU-C", "农夫山泉 550ml", 200, "6900000000042", None),  # in the catalog, no photo: camera calls it unknown
]


GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "smart_container.wsgi",
    "-w",
    "1",
    "--threads",
    "4",
    "--timeout",
    "120",
    "--log-level",
    "warning",
]


CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "smart_container", "worker", "--loglevel=WARNING"]
PRODUCT_FIELDS = ("sku", "name", "price_fen", "barcode")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def look_alike(image: np.ndarray) -> np.ndarray:
    """Item A with one block slightly recoloured: a different product the camera is unsure about."""
    other = image.copy()
    other[:70, :70] = np.clip(other[:70, :70].astype(int) + 40, 0, 255).astype(np.uint8)
    return other


def write_fixtures(folder: Path) -> dict[str, str]:
    """Reference photos for the gallery and the photos the test ``wx.chooseMedia`` hands out."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "a": encode(pattern(ITEM_A)),
        "a2": encode(look_alike(pattern(ITEM_A))),
        "b": encode(pattern(ITEM_B)),
        "c": encode(pattern(ITEM_C)),
        "basket": encode(scene(), "JPEG", quality=92),
        "not_a_photo": b"this is a shopping list, not a photo\n" * 20,
    }
    paths = {}
    for name, data in made.items():
        path = folder / (f"{name}.jpg" if name in ("basket", "not_a_photo") else f"{name}.png")
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


SEED = """
from pathlib import Path
from catalog.models import Product, Store
from gallery.services import Upload, add_photos
from gallery.models import GalleryEmbedding

stores, products, photos = {stores!r}, {products!r}, {photos!r}
for code, name in stores:
    Store.objects.update_or_create(code=code, defaults={{"name": name}})
for sku, name, price, barcode, photo in products:
    product, _ = Product.objects.update_or_create(
        sku=sku, defaults={{"name": name, "price_fen": price, "stock": 500, "barcode": barcode}}
    )
    if photo:
        add_photos(product, [Upload(Path(photos[photo]).read_bytes(), photo + ".png")])
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser("staff", password={staff_password!r})
indexed = GalleryEmbedding.objects.filter(status="indexed").count()
assert indexed == 3, f"{{indexed}} reference photos indexed, expected 3"
"""


def main() -> None:
    var = Path(sys.argv[1]).resolve()
    var.mkdir(parents=True, exist_ok=True)
    photos = write_fixtures(var / "fixtures")
    merchant, platform = generate_keypair(), generate_keypair()
    (var / "merchant_private.pem").write_text(merchant.private_pem)
    (var / "merchant_public.pem").write_text(merchant.public_pem)
    (var / "platform_public.pem").write_text(platform.public_pem)
    apiv3_key = secrets.token_hex(16)
    fake = FakeWeChat(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        mch_id=MCH_ID,
        apiv3_key=apiv3_key,
        merchant_public_pem=merchant.public_pem,
        merchant_serial_no=MCH_SERIAL,
        platform_keys=platform,
        platform_public_key_id=PUBLIC_KEY_ID,
    ).start()
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    secret_key = secrets.token_urlsafe(40)
    # A clean environment: the caller's DATABASE_URL / REDIS_URL (CI exports them for pytest) must not leak in.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONPATH")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        SC_VAR_DIR=str(var / "server"),
        DJANGO_SECRET_KEY=secret_key,
        LOG_LEVEL="WARNING",
        KMP_BLOCKTIME="1",
        GALLERY_SYNC_THREAD="false",
        GALLERY_MAINBODY_CROP="false",  # the tiny detector boxes fixed places: embed reference photos whole
        SHITU_CPU_THREADS="1",
        THROTTLE_WECHAT_LOGIN="1000/min",
        THROTTLE_RECOGNIZE="1000/min",
        # "My orders" pages through twelve unpaid orders of one customer, made within a second.
        THROTTLE_ORDER_CREATE="1000/min",
        ORDERS_MAX_OPEN_PER_CUSTOMER="100",
        CHECKOUT_DEFAULT_STORE="demo",
        WECHAT_APP_ID=APP_ID,
        WECHAT_APP_SECRET=APP_SECRET,
        WECHAT_API_BASE_URL=fake.base_url,
        WECHATPAY_BASE_URL=fake.base_url,
        WECHATPAY_MCH_ID=MCH_ID,
        WECHATPAY_MCH_CERT_SERIAL_NO=MCH_SERIAL,
        WECHATPAY_MCH_PRIVATE_KEY_FILE=str(var / "merchant_private.pem"),
        WECHATPAY_APIV3_KEY=apiv3_key,
        WECHATPAY_PUBLIC_KEY_FILE=str(var / "platform_public.pem"),
        WECHATPAY_PUBLIC_KEY_ID=PUBLIC_KEY_ID,
        WECHATPAY_NOTIFY_URL=f"{app_url}/api/v1/payments/wechat/notify",
        WECHATPAY_REFUND_NOTIFY_URL=f"{app_url}/api/v1/payments/wechat/refund-notify",
        **legacy_model_settings(var / "models"),
    )

    def manage(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode:
            sys.exit(f"manage.py {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")

    log = (var / "server.log").open("w")  # Paddle and gunicorn chatter; printed only when something fails
    manage("migrate", "--no-input")
    staff_password = secrets.token_urlsafe(16)  # refunds are staff work: the receipt test refunds through the API
    manage("shell", "-c", SEED.format(stores=STORES, products=PRODUCTS, photos=photos, staff_password=staff_password))
    server = subprocess.Popen(
        [*GUNICORN, "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # The same app, data and fake once more, with recognition on a real worker process: 202 + polling.
    worker_port = free_port()
    broker = var / "broker"
    for folder in ("queue", "control", "results"):
        (broker / folder).mkdir(parents=True, exist_ok=True)
    worker_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")])),
        "SC_TEST_BROKER_DIR": str(broker),
        "CHECKOUT_RECOGNIZE_WAIT_SECONDS": "0.05",
    }
    worker_server = subprocess.Popen(
        [*GUNICORN, "-b", f"127.0.0.1:{worker_port}"], cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT
    )
    worker = subprocess.Popen(
        [*CELERY_WORKER, "-Q", "recognition", "--pool=solo", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    processes = [server, worker_server, worker]
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        wait_until_up(f"{app_url}/healthz", server, var / "server.log")
        wait_until_up(f"http://127.0.0.1:{worker_port}/healthz", worker_server, var / "server.log")
        for n, base in enumerate((app_url, f"http://127.0.0.1:{worker_port}")):
            warm_up(f"{base}/api/v1", photos["basket"], f"warmup-{n}")
        print(
            json.dumps(
                {
                    "api": f"{app_url}/api/v1",
                    "server": app_url,
                    "workerServer": f"http://127.0.0.1:{worker_port}",
                    "workerPid": worker.pid,
                    "fake": fake.base_url,
                    "appId": APP_ID,
                    "secretKey": secret_key,
                    "staff": ["staff", staff_password],
                    "merchantPublicKeyFile": str(var / "merchant_public.pem"),
                    "photos": photos,
                    "stores": dict(STORES),
                    "products": [dict(zip(PRODUCT_FIELDS, p[:4], strict=True)) for p in PRODUCTS],
                }
            ),
            flush=True,
        )
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
        while not stopping.is_set() and all(p.poll() is None for p in processes):
            stopping.wait(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        fake.stop()


def warm_up(api: str, photo: str, code: str) -> None:
    """One recognition through each server, so loading the models is not part of any test's time."""
    import requests

    access = requests.post(f"{api}/auth/wechat/login", json={"code": code}, timeout=30).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}
    with open(photo, "rb") as fh:
        answer = requests.post(f"{api}/checkout/recognize", files={"image": fh}, headers=headers, timeout=120)
    body = answer.json()
    deadline = time.monotonic() + 120
    while body.get("status") == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        body = requests.get(f"{api}/checkout/recognitions/{body['id']}", headers=headers, timeout=30).json()
    if body.get("status") != "done":
        sys.exit(f"warm-up recognition through {api} did not finish: {answer.status_code} {body}")


def wait_until_up(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (a 503 names a missing piece; the tests will say which)
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"{url} did not answer within {seconds:.0f} s")
            time.sleep(0.2)


if __name__ == "__main__":
    main()
