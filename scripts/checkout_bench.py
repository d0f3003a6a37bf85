#!/usr/bin/env python
"""Time the customer path over HTTP against a running server and the fake WeChat (see docs/checkout.md):
recognize round trips (upload -> priced cart) and pay -> notify -> paid.  Prints a Markdown table row set."""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from pathlib import Path

import requests

CATALOG = Path("/work/shared/datasets/retail_catalog")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} "
        f"| {max(values):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--fake", default="http://127.0.0.1:8701")
    parser.add_argument("--photos", type=int, default=20, help="Catalog photos to recognise (after one warm-up).")
    parser.add_argument("--payments", type=int, default=10)
    args = parser.parse_args()
    api = f"{args.server.rstrip('/')}/api/v1"
    http = requests.Session()
    token = http.post(f"{api}/auth/wechat/login", json={"code": f"bench-{secrets.token_hex(4)}"}).json()["access"]
    http.headers["Authorization"] = f"Bearer {token}"

    photos = sorted((CATALOG / "images").glob("*.jpg"))[: args.photos + 1]
    recognize, last = [], None
    for index, photo in enumerate(photos):
        started = time.perf_counter()
        with photo.open("rb") as fh:
            response = http.post(f"{api}/checkout/recognize", files={"image": fh}, timeout=300)
        body = response.json()
        while response.status_code == 202 or body.get("status") == "pending":
            time.sleep(0.05)
            response = http.get(f"{api}/checkout/recognitions/{body['id']}")
            body = response.json()
        elapsed = (time.perf_counter() - started) * 1e3
        if response.status_code != 200 or body["status"] != "done":
            raise SystemExit(f"recognize {photo.name}: {response.status_code} {response.text[:300]}")
        if index:  # the first call loads the models and the gallery
            recognize.append(elapsed)
        last = body

    prepay, settle = [], []
    sku = last["lines"][0]["sku"] if last and last["lines"] else "SC0001"
    for _ in range(args.payments):
        order = http.post(f"{api}/orders", json={"lines": [{"sku": sku, "quantity": 1}]}).json()
        started = time.perf_counter()
        assert http.post(f"{api}/orders/{order['id']}/pay").status_code == 200
        prepay.append((time.perf_counter() - started) * 1e3)
        started = time.perf_counter()
        requests.post(f"{args.fake}/_fake/pay/{order['id'].replace('-', '')}").raise_for_status()
        assert http.get(f"{api}/orders/{order['id']}").json()["status"] == "paid"
        settle.append((time.perf_counter() - started) * 1e3)

    print("| step | n | median ms | p95 ms | max ms |\n|---|---|---|---|---|")
    print(row("recognize (upload -> priced cart, warm)", recognize))
    print(row("pay (prepay at WeChat Pay, signed params)", prepay))
    print(row("notify -> order paid (signed + encrypted notification)", settle))


if __name__ == "__main__":
    main()
