"""Run the fake WeChat servers for development: ``python -m wechat_fake [--port 8701]``.

Keys are made on first start and kept in ``--state-dir`` (default ``var/wechat_fake``), next
to an ``env`` file with the settings the Django server needs to talk to this fake::

    set -a; . var/wechat_fake/env; set +a; python manage.py runserver
"""

from __future__ import annotations

import argparse
import logging
import secrets
import time
from pathlib import Path

from .crypto import KeyPair, generate_keypair
from .server import FakeWeChat

APP_ID = "wxdev0000000000001"
MCH_ID = "1900000001"
MCH_SERIAL = "3775B6A45ACD588826D15E583A95F5DD00000001"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000000012025000000000001"


def _keypair(folder: Path, name: str) -> KeyPair:
    private, public = folder / f"{name}_private.pem", folder / f"{name}_public.pem"
    if not private.is_file():
        keys = generate_keypair()
        private.write_text(keys.private_pem)
        private.chmod(0o600)
        public.write_text(keys.public_pem)
    return KeyPair(private.read_text(), public.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--state-dir", type=Path, default=Path("var/wechat_fake"))
    parser.add_argument("--app-url", default="http://127.0.0.1:8000", help="Where the Django server listens.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    state = args.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    merchant, platform = _keypair(state, "merchant"), _keypair(state, "platform")
    secret_file = state / "apiv3_key"
    if not secret_file.is_file():
        secret_file.write_text(secrets.token_hex(16))
    apiv3_key = secret_file.read_text().strip()

    fake = FakeWeChat(
        app_id=APP_ID,
        app_secret="dev-app-secret",
        mch_id=MCH_ID,
        apiv3_key=apiv3_key,
        merchant_public_pem=merchant.public_pem,
        merchant_serial_no=MCH_SERIAL,
        platform_keys=platform,
        platform_public_key_id=PUBLIC_KEY_ID,
        host=args.host,
        port=args.port,
    ).start()
    app = args.app_url.rstrip("/")
    env = {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "dev-app-secret",
        "WECHAT_API_BASE_URL": fake.base_url,
        "WECHATPAY_BASE_URL": fake.base_url,
        "WECHATPAY_MCH_ID": MCH_ID,
        "WECHATPAY_MCH_CERT_SERIAL_NO": MCH_SERIAL,
        "WECHATPAY_MCH_PRIVATE_KEY_FILE": str(state / "merchant_private.pem"),
        "WECHATPAY_APIV3_KEY": apiv3_key,
        "WECHATPAY_PUBLIC_KEY_FILE": str(state / "platform_public.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": PUBLIC_KEY_ID,
        "WECHATPAY_NOTIFY_URL": f"{app}/api/v1/payments/wechat/notify",
        "WECHATPAY_REFUND_NOTIFY_URL": f"{app}/api/v1/payments/wechat/refund-notify",
        "CHECKOUT_FAKE_PAY_URL": fake.base_url,
    }
    (state / "env").write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    print(f"fake WeChat (login + Pay v3) on {fake.base_url}; settings for Django in {state / 'env'}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
