#!/usr/bin/env python
"""Scripted customer journey against a running dev server and the fake WeChat servers:

    login -> recognize (a real photo) -> correct the cart if needed -> order -> pay
          -> WeChat "completes" the payment and sends its signed, encrypted notification -> paid receipt

Start the server with ``python manage.py rundemo`` (it starts the fake WeChat too and writes
its address to ``var/wechat_fake/env``, where this script finds it).  See docs/checkout.md.
Exits non-zero, naming the step, if anything goes wrong.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CATALOG = next(
    (p for p in (ROOT.parent / "shared" / "datasets" / "retail_catalog", Path("/work/shared/datasets/retail_catalog"))
     if p.is_dir()),
    ROOT.parent / "shared" / "datasets" / "retail_catalog",
)  # fmt: skip


def fake_from_env_file() -> str | None:
    """The fake WeChat rundemo started: its address is in ``$SC_VAR_DIR/wechat_fake/env``."""
    env_file = Path(os.environ.get("SC_VAR_DIR", ROOT / "var")) / "wechat_fake" / "env"
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            if line.startswith("CHECKOUT_FAKE_PAY_URL="):
                return line.split("=", 1)[1]
    return None


def step(name: str, response: requests.Response, *expected: int) -> dict:
    if response.status_code not in expected:
        sys.exit(f"{name}: HTTP {response.status_code}: {response.text[:500]}")
    body = response.json() if response.content else {}
    print(f"[ok] {name} ({response.status_code})")
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--fake", help="The fake WeChat (default: the one rundemo started, from var/wechat_fake/env).")
    parser.add_argument("--photo", type=Path, default=CATALOG / "images" / "0001.jpg")
    parser.add_argument("--store", default="demo")
    args = parser.parse_args()
    args.fake = args.fake or fake_from_env_file()
    if not args.fake:
        sys.exit("no fake WeChat: start the server with `manage.py rundemo`, or pass --fake URL")
    api = f"{args.server.rstrip('/')}/api/v1"
    http = requests.Session()
    _wait_for(f"{args.server.rstrip('/')}/healthz")

    tokens = step("login", http.post(f"{api}/auth/wechat/login", json={"code": f"demo-{secrets.token_hex(4)}"}), 200)
    http.headers["Authorization"] = f"Bearer {tokens['access']}"

    with args.photo.open("rb") as fh:
        response = http.post(f"{api}/checkout/recognize", files={"image": fh}, data={"store": args.store}, timeout=120)
    recognition = step("recognize", response, 200, 202)
    while recognition["status"] == "pending":
        time.sleep(0.5)
        recognition = step("poll recognition", http.get(f"{api}/checkout/recognitions/{recognition['id']}"), 200)
    print(f"     {len(recognition['lines'])} lines, {len(recognition['unknown'])} unknown items, "
          f"total {recognition['total_fen']} fen, photo {recognition['image_size']}")  # fmt: skip
    for line in recognition["lines"]:
        print(f"     {line['quantity']} x {line['sku']} {line['name']} @ {line['unit_price_fen']} fen")

    if not recognition["lines"]:
        # Stand-in models have random weights and may recognise nothing: correct the cart as a customer would.
        sku = _sku_of(args.photo)
        recognition = step(
            f"add {sku} by hand",
            http.post(f"{api}/checkout/recognitions/{recognition['id']}/lines", json={"sku": sku, "quantity": 1}),
            200,
        )
    order = step("order the cart", http.post(f"{api}/orders", json={"recognition": recognition["id"]}), 201)
    print(f"     order {order['id']}: {order['total_fen']} fen, expires {order['expires_at']}")

    params = step("pay (prepay at WeChat Pay)", http.post(f"{api}/orders/{order['id']}/pay"), 200)
    print(f"     wx.requestPayment({{package: {params['package']}, signType: {params['signType']}, ...}})")

    paid = step(
        "customer pays; WeChat notifies", requests.post(f"{args.fake}/_fake/pay/{order['id'].replace('-', '')}"), 200
    )
    if paid.get("notify_status") not in (200, 204):
        sys.exit(f"notify: our server answered {paid.get('notify_status')} to WeChat's notification")

    final = step("receipt", http.get(f"{api}/orders/{order['id']}"), 200)
    if final["status"] != "paid" or not final["receipt"]:
        sys.exit(f"receipt: order is {final['status']}, not paid")
    receipt = final["receipt"]
    print(f"     PAID {receipt['total_fen']} fen at {receipt['store']} on {receipt['paid_at']}, "
          f"WeChat transaction {receipt['transaction_id']}")  # fmt: skip


def _wait_for(url: str, seconds: float = 120) -> None:
    """Wait for the dev server (rundemo seeds and embeds the gallery before it serves)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.5)


def _sku_of(photo: Path) -> str:
    with (CATALOG / "catalog.csv").open() as fh:
        for row in csv.DictReader(fh):
            if Path(row["image"]).name == photo.name:
                return row["sku"]
    sys.exit(f"{photo} is not a catalog photo; cannot pick its SKU")


if __name__ == "__main__":
    main()
