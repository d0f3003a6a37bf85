"""The fake WeChat as a development stand-in: keys kept between runs, and the settings a
Django server needs to talk to it.

Used by ``python -m wechat_fake`` (its own process) and by ``manage.py rundemo`` (a thread
of the demo, stopped with it).  Never part of a production setup.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from .crypto import KeyPair, generate_keypair
from .server import FakeWeChat

APP_ID = "wxdev0000000000001"
APP_SECRET = "dev-app-secret"
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


@dataclass
class DevWeChat:
    """A running fake and the Django settings (name -> value) that point our clients at it."""

    fake: FakeWeChat
    settings: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.fake.base_url

    def stop(self) -> None:
        self.fake.stop()


KEY_MODES = {"public_key": "public_key", "certificate": "certificate", "both": "public_key,certificate"}


def start_dev_wechat(
    state_dir: Path, app_url: str, *, host: str = "127.0.0.1", port: int = 0, key_mode: str = "public_key"
) -> DevWeChat:
    """Start the fake (login + Pay v3) on ``host:port`` (0: a free port) with the keys kept in
    ``state_dir``; ``app_url`` is where the Django server listens (WeChat Pay notifies it).

    ``key_mode`` "certificate" or "both" (a merchant migrating) issues a platform certificate at
    each start and signs with it; the settings then name the mode (docs/payments.md, Key modes)."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    merchant, platform = _keypair(state, "merchant"), _keypair(state, "platform")
    secret_file = state / "apiv3_key"
    if not secret_file.is_file():
        secret_file.write_text(secrets.token_hex(16))
        secret_file.chmod(0o600)
    apiv3_key = secret_file.read_text().strip()
    fake = FakeWeChat(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        mch_id=MCH_ID,
        apiv3_key=apiv3_key,
        merchant_public_pem=merchant.public_pem,
        merchant_serial_no=MCH_SERIAL,
        platform_keys=platform,
        platform_public_key_id=PUBLIC_KEY_ID,
        host=host,
        port=port,
    ).start()
    fake.bills_ready_immediately = True  # the demo reconciles the day it is run (today's bill so far)
    app = app_url.rstrip("/")
    settings = {
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
        "WECHATPAY_NOTIFY_URL": f"{app}/api/v1/payments/wechat/notify",
        "WECHATPAY_REFUND_NOTIFY_URL": f"{app}/api/v1/payments/wechat/refund-notify",
        "CHECKOUT_FAKE_PAY_URL": fake.base_url,
    }
    if key_mode != "public_key":
        fake.sign_with(fake.add_certificate().serial_no)
        settings["WECHATPAY_KEY_MODES"] = KEY_MODES[key_mode]
    (state / "env").write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    return DevWeChat(fake, settings)
