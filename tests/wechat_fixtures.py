"""The WeChat fixtures, loaded once for every test (``pytest_plugins`` in tests/conftest.py): the fake
WeChat servers with keys made here, settings pointing at them, products, and logged-in customers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import Customer
from catalog.models import Product
from wechat_fake import FakeWeChat, KeyPair, generate_keypair

APP_ID = "wx0123456789abcdef"
MCH_ID = "1900000109"
MCH_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0111222333444555666777888999"


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    return generate_keypair()


@pytest.fixture(scope="session")
def platform_keys() -> KeyPair:
    return generate_keypair()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters and notification nonces live in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wechat(settings, tmp_path, merchant_keys, platform_keys) -> Iterator[FakeWeChat]:
    """A running fake WeChat (login + Pay v3) and settings pointing our clients at it."""
    apiv3_key = secrets.token_hex(16)
    fake = FakeWeChat(
        app_id=APP_ID,
        app_secret="test-app-secret",
        mch_id=MCH_ID,
        apiv3_key=apiv3_key,
        merchant_public_pem=merchant_keys.public_pem,
        merchant_serial_no=MCH_SERIAL,
        platform_keys=platform_keys,
        platform_public_key_id=PUBLIC_KEY_ID,
    ).start()
    (tmp_path / "apiclient_key.pem").write_text(merchant_keys.private_pem)
    (tmp_path / "pub_key.pem").write_text(platform_keys.public_pem)
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = "test-app-secret"
    settings.WECHAT_API_BASE_URL = fake.base_url
    settings.WECHATPAY_BASE_URL = fake.base_url
    settings.WECHATPAY_MCH_ID = MCH_ID
    settings.WECHATPAY_MCH_CERT_SERIAL_NO = MCH_SERIAL
    settings.WECHATPAY_MCH_PRIVATE_KEY_FILE = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_APIV3_KEY = apiv3_key
    settings.WECHATPAY_PUBLIC_KEY_FILE = str(tmp_path / "pub_key.pem")
    settings.WECHATPAY_PUBLIC_KEY_ID = PUBLIC_KEY_ID
    settings.WECHATPAY_NOTIFY_URL = "http://127.0.0.1:9/api/v1/payments/wechat/notify"
    settings.WECHATPAY_REFUND_NOTIFY_URL = "http://127.0.0.1:9/api/v1/payments/wechat/refund-notify"
    yield fake
    fake.stop()


@pytest.fixture
def products(db) -> dict[str, Product]:
    rows = [("SC0001", "Cola 330ml", 350, 10), ("SC0002", "Chips", 800, 10), ("SC0003", "Water", 200, 10)]
    return {
        sku: Product.objects.create(sku=sku, name=name, price_fen=price, stock=stock, barcode=f"690000000000{i}")
        for i, (sku, name, price, stock) in enumerate(rows, start=1)
    }


def client_for(customer: Customer) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_tokens(customer.pk).access}")
    return client


@pytest.fixture
def other_customer(db) -> Customer:
    return Customer.objects.create(app_id=APP_ID, openid="o-bob-openid")


@pytest.fixture
def api(customer) -> APIClient:
    return client_for(customer)


@pytest.fixture
def staff_api(db, django_user_model) -> APIClient:
    user = django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_notification(client: APIClient, url: str, notification: tuple[dict[str, str], str]):
    headers, body = notification
    return client.generic("POST", url, body, content_type="application/json", headers=headers)


@pytest.fixture
def payment_tasks_in_process() -> Iterator[None]:
    """The payment tasks (the late payment's refund) run in-process, as in the embedded default,
    also when the suite runs with REDIS_URL (no payments worker is started by these tests)."""
    from payments.tasks import submit_refund

    conf = submit_refund.app.conf
    before = conf.task_always_eager
    conf.CELERY_TASK_ALWAYS_EAGER = True  # the Django-namespaced key is the one Celery reads here
    yield
    conf.CELERY_TASK_ALWAYS_EAGER = before
