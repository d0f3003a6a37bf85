"""The web checkout page is served and wired to the API (the flow itself is the API's, tested there;
the page in a real browser is tests/i18n/test_pages_in_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders


def page_config(html: str) -> dict:
    return json.loads(re.search(r'<script id="checkout-config" type="application/json">(.*?)</script>', html).group(1))


@pytest.mark.django_db
def test_checkout_page_is_served(client, settings):
    settings.CHECKOUT_FAKE_PAY_URL = "http://127.0.0.1:8701"
    settings.CHECKOUT_DEFAULT_STORE = "s9"
    response = client.get("/checkout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert page_config(html) == {"api": "/api/v1", "store": "s9", "fake_pay_url": "http://127.0.0.1:8701"}
    assert 'capture="environment"' in html and 'src="/jsi18n/"' in html and "checkout/checkout.js" in html
    script = Path(finders.find("checkout/checkout.js")).read_text(encoding="utf-8")
    assert "/checkout/recognize" in script and "check-payment" in script and "/boxes/" in script


@pytest.mark.django_db
def test_checkout_page_hides_the_fake_in_production(client, settings):
    settings.CHECKOUT_FAKE_PAY_URL = ""
    assert page_config(client.get("/checkout/").content.decode())["fake_pay_url"] == ""
