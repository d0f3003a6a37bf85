"""Fixtures shared by every test area: users, API clients, a store, products, photos."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Customer
from catalog import services as catalog_services
from catalog.models import Store
from tests.wechat_fixtures import APP_ID

pytest_plugins = ["tests.wechat_fixtures"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English unless they ask for Chinese: the product's default (zh-hans) and the
    translations are tested in tests/i18n, which override this."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a per-test folder, never into the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user("staff", password="staff-pass-123", is_staff=True)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def store(db) -> Store:
    """The default checkout store (CHECKOUT_DEFAULT_STORE)."""
    return Store.objects.create(code="demo", name="Demo Store")


@pytest.fixture
def customer(db) -> Customer:
    """A WeChat user of our mini-program (the app id the WeChat fakes use)."""
    return Customer.objects.create(app_id=APP_ID, openid="o-alice-openid")


@pytest.fixture
def make_product(db):
    counter = iter(range(1, 10_000))

    def make(**fields):
        n = next(counter)
        fields.setdefault("sku", f"SKU{n:04d}")
        fields.setdefault("name", f"Product {n}")
        fields.setdefault("price_fen", 100 * n)
        fields.setdefault("stock", 10)
        return catalog_services.create_product(**fields)

    return make


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(200, 30, 30), mode: str = "RGB") -> bytes:
    """A real encoded image, made in memory."""
    buffer = io.BytesIO()
    Image.new(mode, size, color if mode != "L" else 128).save(buffer, format=fmt)
    return buffer.getvalue()
