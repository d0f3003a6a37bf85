"""``python -m wechat_fake`` starts, keeps its keys between runs and writes the Django settings it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _start(state: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wechat_fake", "--port", "0", "--state-dir", str(state)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    assert "fake WeChat" in line, line
    return proc, line.split(" on ", 1)[1].split(";", 1)[0]


def test_dev_runner_serves_and_writes_env(tmp_path):
    proc, base_url = _start(tmp_path)
    try:
        env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines())
        assert env["WECHATPAY_BASE_URL"] == base_url == env["WECHAT_API_BASE_URL"]
        assert Path(env["WECHATPAY_MCH_PRIVATE_KEY_FILE"]).read_text().startswith("-----BEGIN PRIVATE KEY-----")
        assert len(env["WECHATPAY_APIV3_KEY"]) == 32
        answer = requests.get(
            f"{base_url}/sns/jscode2session",
            params={"appid": env["WECHAT_APP_ID"], "secret": env["WECHAT_APP_SECRET"], "js_code": "dev-1",
                    "grant_type": "authorization_code"},
            timeout=5,
        ).json()  # fmt: skip
        assert answer["openid"].startswith("o")
        first_key = (tmp_path / "platform_private.pem").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    proc, _ = _start(tmp_path)  # a restart keeps the keys the server was configured with
    proc.terminate()
    proc.wait(timeout=10)
    assert (tmp_path / "platform_private.pem").read_text() == first_key
