#!/usr/bin/env python
"""Fuzz the running product with schemathesis, as staff and as a customer.

Starts everything itself: a fresh PostgreSQL database and Redis database of its own, the fake
WeChat servers (login + Pay v3, in this process), ``migrate``, a staff account, gunicorn on a
free port, seed data made through the API (a store, products up to the dearest price, a photo,
a customer logged in through the fake, an open order, a paid order, a recognition). Then it runs
``st run`` against the served OpenAPI schema once per role with every check, seeded, and fails on
anything schemathesis reports: a server error, a response that breaks its schema, an
undocumented status, a check failure.  What is left out, and why, is in ``scripts/fuzz_api.toml``.

    python scripts/fuzz_api.py                          # CI size (a few minutes)
    python scripts/fuzz_api.py --max-examples 120       # the full run recorded in docs/api.md

The database named by ``--database-url`` is dropped and created again: never point it at one
you keep.  Exit status 0 only when every role's run is clean and the server logged no traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.recognition.tiny_models import legacy_model_settings  # noqa: E402 - after the path is set
from wechat_fake import FakeWeChat, generate_keypair  # noqa: E402

CONFIG = ROOT / "scripts" / "fuzz_api.toml"
APP_ID = "wxfuzz000000000001"
APP_SECRET = "fuzz-app-secret"
MCH_ID = "1900000777"
MCH_SERIAL = "6B1E2F3A4B5C6D7E8F90A1B2C3D4E5F600000777"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000007772026000000000001"
STAFF_USER = "fuzz-staff"
DEAREST_FEN = 100_000_000  # the catalog's price limit: sums of these are what overflowed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop and create the fuzz run's own database (so no run sees another's rows)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        sys.exit(f"refusing database name {name!r}")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def start_fake(state: Path) -> tuple[FakeWeChat, dict[str, str]]:
    merchant, platform = generate_keypair(), generate_keypair()
    apiv3_key = secrets.token_hex(16)
    (state / "merchant_private.pem").write_text(merchant.private_pem)
    (state / "platform_public.pem").write_text(platform.public_pem)
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
    return fake, {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": fake.base_url,
        "WECHATPAY_BASE_URL": fake.base_url,
        "WECHATPAY_MCH_ID": MCH_ID,
        "WECHATPAY_MCH_CERT_SERIAL_NO": MCH_SERIAL,
        "WECHATPAY_MCH_PRIVATE_KEY_FILE": str(state / "merchant_private.pem"),
        "WECHATPAY_APIV3_KEY": apiv3_key,
        "WECHATPAY_PUBLIC_KEY_FILE": str(state / "platform_public.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": PUBLIC_KEY_ID,
    }


def server_env(args: argparse.Namespace, state: Path, port: int, wechat: dict[str, str]) -> dict[str, str]:
    app = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **wechat,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SC_VAR_DIR": str(state / "var"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # No worker process here: tasks (photo embedding, recognition) run inside gunicorn.
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CHECKOUT_RECOGNIZE_WAIT_SECONDS": "1",
        "AUTH_ACCESS_TOKEN_SECONDS": "86400",  # one token lasts the whole run
        "WECHATPAY_NOTIFY_URL": f"{app}/api/v1/payments/wechat/notify",
        "WECHATPAY_REFUND_NOTIFY_URL": f"{app}/api/v1/payments/wechat/refund-notify",
        "DJANGO_SUPERUSER_USERNAME": STAFF_USER,
        "DJANGO_SUPERUSER_PASSWORD": args.staff_password,
        "DJANGO_SUPERUSER_EMAIL": "fuzz@example.com",
    }
    # The fuzzer sends thousands of requests from one address: throttles would answer most of
    # them 429 and hide everything else (the throttles have their own tests).
    for name in args.unthrottle:
        env[name] = "1000000/min"
    # Likewise the cap on one customer's unpaid orders (tested in tests/orders/test_order_limits.py):
    # the fuzzer's one customer would meet it after five orders and order nothing more.
    env["ORDERS_MAX_OPEN_PER_CUSTOMER"] = "1000000"
    if args.models == "tiny":  # the fuzzer tests the API, not recognition: no download nor ../shared
        env |= legacy_model_settings(state / "models")
    else:
        env["SHITU_MODEL_CACHE"] = args.models
    return env


def manage(env: dict[str, str], *argv: str) -> None:
    subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_healthy(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode} before answering")
        try:
            if requests.get(f"{base}/healthz", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit(f"the server did not answer {base}/healthz within {timeout:.0f} s")


def png(color: tuple[int, int, int], size: tuple[int, int] = (96, 80)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def expect(response: requests.Response, *statuses: int) -> dict:
    if response.status_code not in statuses:
        sys.exit(f"seeding: {response.request.method} {response.url} -> {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else {}


def seed(base: str, args: argparse.Namespace, fake: FakeWeChat) -> dict[str, str]:
    """Data for the fuzzer to find, made the way clients make it (through the API)."""
    api = f"{base}/api/v1"
    staff = requests.Session()
    staff.auth = (STAFF_USER, args.staff_password)
    expect(staff.post(f"{api}/stores", json={"code": "demo", "name": "Fuzz Store"}), 201)
    category = expect(staff.post(f"{api}/categories", json={"name": "Drinks", "slug": "drinks"}), 201)
    products = []
    for n, price in enumerate([350, 1200, 9900, DEAREST_FEN - 1, DEAREST_FEN], start=1):
        body = {"sku": f"FZ{n:04d}", "name": f"Fuzz product {n}", "price_fen": price, "stock": 100_000}
        body |= {"barcode": f"69000000{n:05d}", "category": category["id"]}
        products.append(expect(staff.post(f"{api}/products", json=body), 201))
    photo = {"images": ("red.png", png((200, 30, 30)), "image/png")}
    expect(staff.post(f"{api}/products/{products[0]['id']}/images", files=photo), 201)

    tokens = expect(requests.post(f"{api}/auth/wechat/login", json={"code": "fuzz-customer-1"}), 200)
    customer = requests.Session()
    customer.headers["Authorization"] = f"Bearer {tokens['access']}"
    lines = [{"sku": "FZ0001", "quantity": 2}, {"sku": "FZ0002", "quantity": 1}]
    paid = expect(customer.post(f"{api}/orders", json={"lines": lines}), 201)
    expect(customer.post(f"{api}/orders/{paid['id']}/pay"), 200)
    out_trade_no = expect(customer.get(f"{api}/orders/{paid['id']}"), 200)["payments"][0]["out_trade_no"]
    expect(requests.post(f"{fake.base_url}/_fake/pay/{out_trade_no}"), 200, 204)
    for _ in range(50):  # the fake notifies the server on its own thread
        if expect(customer.get(f"{api}/orders/{paid['id']}"), 200)["status"] == "paid":
            break
        time.sleep(0.1)
    open_order = expect(customer.post(f"{api}/orders", json={"lines": [{"sku": "FZ0003", "quantity": 1}]}), 201)
    photo = {"image": ("basket.png", png((30, 120, 200), (320, 240)), "image/png")}
    recognition = customer.post(f"{api}/checkout/recognize", files=photo, timeout=120)
    recognition_id = recognition.json().get("id", "") if recognition.status_code in (200, 202) else ""
    if recognition_id:  # a line of the dearest-but-one product: quantities near the total's limit
        cart_line = {"sku": "FZ0004", "quantity": 1}
        expect(customer.post(f"{api}/checkout/recognitions/{recognition_id}/lines", json=cart_line), 200, 201)
    session = requests.Session()  # staff log in as people do, at the admin's login form
    session.get(f"{base}/admin/login/")
    form = {"username": STAFF_USER, "password": args.staff_password, "next": "/admin/"}
    form["csrfmiddlewaretoken"] = session.cookies["csrftoken"]
    expect(session.post(f"{base}/admin/login/", data=form, allow_redirects=False), 302)
    return {
        "FUZZ_STAFF_SESSION": session.cookies["sessionid"],
        "FUZZ_STAFF_CSRF": session.cookies["csrftoken"],
        "FUZZ_CUSTOMER_TOKEN": tokens["access"],
        "FUZZ_REFRESH_TOKEN": tokens["refresh"],
        "FUZZ_PAID_ORDER": paid["id"],
        "FUZZ_OPEN_ORDER": open_order["id"],
        "FUZZ_RECOGNITION": str(recognition_id or "00000000-0000-0000-0000-000000000000"),
        "FUZZ_PRODUCT": str(products[0]["id"]),
    }


def run_schemathesis(base: str, role: str, args: argparse.Namespace, seeded: dict[str, str], reports: Path) -> int:
    argv = [
        "st",
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/api/schema/",
        # No --checks: every check runs by default, and "--checks all" would override the
        # exclusions of scripts/fuzz_api.toml.
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.st_workers),
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(reports / f"{role}.junit.xml"),
    ]
    if args.phases:
        argv += ["--phases", args.phases]
    if args.max_time:
        argv += ["--max-time", str(args.max_time)]
    if role == "staff":  # a session (HTTP Basic would hash the password on every request)
        cookie = f"sessionid={seeded['FUZZ_STAFF_SESSION']}; csrftoken={seeded['FUZZ_STAFF_CSRF']}"
        argv += ["--header", f"Cookie: {cookie}", "--header", f"X-CSRFToken: {seeded['FUZZ_STAFF_CSRF']}"]
    else:
        argv += ["--header", f"Authorization: Bearer {seeded['FUZZ_CUSTOMER_TOKEN']}"]
    env = {**os.environ, **seeded, "FUZZ_ROLE": role}
    print(
        f"\n=== schemathesis as {role}: {' '.join(a if 'Bearer' not in a else 'Authorization: Bearer …' for a in argv)}"
    )
    sys.stdout.flush()
    started = time.monotonic()
    code = subprocess.run(argv, cwd=ROOT, env=env).returncode
    print(f"=== {role}: exit {code} in {time.monotonic() - started:.0f} s")
    return code


def tracebacks(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    return [chunk[:2000] for chunk in text.split("Traceback (most recent call last):")[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sc_fuzz"),
        help="PostgreSQL database for this run (dropped and created again)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("FUZZ_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument(
        "--models",
        default="tiny",
        help='"tiny" (the suite\'s stand-ins, built here) or a SHITU_MODEL_CACHE folder, e.g. ../shared/models',
    )
    parser.add_argument("--roles", default="customer,staff", help="in this order (staff may close the demo store)")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--max-examples", type=int, default=3, help="cases per operation and phase (3: the CI size)")
    parser.add_argument("--max-time", type=int, default=0, help="seconds per role (0: no limit)")
    parser.add_argument("--phases", default="", help="schemathesis phases (default: all)")
    parser.add_argument("--st-workers", type=int, default=1)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "var" / "fuzz")
    parser.add_argument(
        "--unthrottle",
        nargs="*",
        default=["THROTTLE_WECHAT_LOGIN", "THROTTLE_RECOGNIZE", "THROTTLE_ORDER_CREATE"],
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    args.staff_password = secrets.token_urlsafe(16)

    reports = args.report_dir.resolve()
    shutil.rmtree(reports, ignore_errors=True)
    state = reports / "state"
    state.mkdir(parents=True)
    recreate_database(args.database_url)
    flush_redis(args.redis_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        fake, wechat = start_fake(state)
        stack.callback(fake.stop)
        env = server_env(args, state, port, wechat)
        manage(env, "migrate", "--noinput")
        manage(env, "createsuperuser", "--noinput")
        log = reports / "gunicorn.log"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "smart_container.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.gunicorn_workers),
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        stack.callback(lambda: (server.send_signal(signal.SIGTERM), server.wait(timeout=30)))
        wait_healthy(base, server)
        seeded = seed(base, args, fake)
        public = {k: v for k, v in seeded.items() if not k.endswith(("TOKEN", "SESSION", "CSRF"))}
        (reports / "seeded.json").write_text(json.dumps(public))
        codes = {role: run_schemathesis(base, role, args, seeded, reports) for role in args.roles.split(",")}
    found = tracebacks(log)
    for chunk in found[:5]:
        print(f"--- traceback in the server log:\n{chunk}")
    print(f"\nfuzz summary: {', '.join(f'{r}: exit {c}' for r, c in codes.items())}; server tracebacks: {len(found)}")
    print(f"reports: {reports}")
    return 0 if not found and all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
