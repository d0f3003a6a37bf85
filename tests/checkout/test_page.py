"""The web checkout page is served and wired to the API (the flow itself is the API's, tested there)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_checkout_page_is_served(client, settings):
    settings.CHECKOUT_FAKE_PAY_URL = "http://127.0.0.1:8701"
    response = client.get("/checkout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'const FAKE_PAY_URL = "http://127.0.0.1:8701"' in html
    assert "/checkout/recognize" in html and "check-payment" in html and 'capture="environment"' in html


@pytest.mark.django_db
def test_checkout_page_hides_the_fake_in_production(client, settings):
    settings.CHECKOUT_FAKE_PAY_URL = ""
    assert 'const FAKE_PAY_URL = ""' in client.get("/checkout/").content.decode()
