#!/usr/bin/env python
"""Time the first checkout photos after the demo says it is ready (docs/benchmarks.md, first photo).

Starts the fake WeChat and the embedded demo on free ports in a fresh state folder, waits
until it serves, logs in and sends ``--photos`` catalog photos one after another, each timed
from upload to priced cart.  ``--server rundemo`` is the README's command (it preloads the
models); ``--server runserver`` serves the same seeded demo with plain ``runserver``, which
loads the models on the first photo, for comparison.  Prints one Markdown table row.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode} before answering {url}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", type=Path, default=ROOT.parent / "shared" / "datasets" / "retail_catalog")
    parser.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--server", choices=["rundemo", "runserver"], default="rundemo")
    parser.add_argument("--photos", type=int, default=5)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="sc_first_photo_"))
    fake_port, app_port = free_port(), free_port()
    app = f"http://127.0.0.1:{app_port}"
    env = {
        **os.environ,
        "SC_VAR_DIR": str(state),
        "SHITU_MODEL_CACHE": str(args.models),
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    env = {k: v for k, v in env.items() if v != ""}
    procs = []
    try:
        fake = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wechat_fake",
                "--state-dir",
                state / "fake",
                "--port",
                str(fake_port),
                "--app-url",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        procs.append(fake)
        for _ in range(100):
            if (state / "fake" / "env").exists():
                break
            time.sleep(0.1)
        for line in (state / "fake" / "env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        manage = [sys.executable, "manage.py"]
        addr = f"127.0.0.1:{app_port}"
        if args.server == "runserver":
            subprocess.run([*manage, "rundemo", "--catalog", args.catalog, "--no-serve"], cwd=ROOT, env=env, check=True)
            command = [*manage, "runserver", addr, "--noreload"]
        else:
            command = [*manage, "rundemo", "--catalog", args.catalog, "--addrport", addr]
        started = time.perf_counter()
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        wait_for(f"{app}/healthz", server, 600)
        ready_s = time.perf_counter() - started
        api = f"{app}/api/v1"
        http = requests.Session()
        token = http.post(f"{api}/auth/wechat/login", json={"code": f"bench-{secrets.token_hex(4)}"}).json()["access"]
        http.headers["Authorization"] = f"Bearer {token}"
        photos = sorted((args.catalog / "images").glob("*.jpg"))[: args.photos]
        times = []
        for photo in photos:
            t0 = time.perf_counter()
            with photo.open("rb") as fh:
                body = http.post(f"{api}/checkout/recognize", files={"image": fh}, data={"store": "demo"}, timeout=300)
            result = body.json()
            while body.status_code == 202 or result.get("status") == "pending":
                time.sleep(0.05)
                body = http.get(f"{api}/checkout/recognitions/{result['id']}", timeout=60)
                result = body.json()
            if body.status_code != 200 or result.get("status") != "done":
                sys.exit(f"{photo.name}: HTTP {body.status_code} {str(result)[:300]}")
            times.append((time.perf_counter() - t0) * 1e3)
        later = sorted(times[1:])
        print(
            f"| {args.server} | {ready_s:.1f} s | {times[0]:.0f} ms | {later[len(later) // 2]:.0f} ms"
            f" | {' / '.join(f'{t:.0f}' for t in times)} |"
        )
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
