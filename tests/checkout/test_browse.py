"""What a shopper may look up: the store from its code, and products on sale to pick from."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.models import Store

pytestmark = pytest.mark.django_db


def test_an_open_store_is_found_by_its_code_by_anyone(store):
    store.address = "上海市徐汇区"
    store.save()
    body = APIClient().get("/api/v1/checkout/stores/demo").json()
    assert body == {"code": "demo", "name": "Demo Store", "address": "上海市徐汇区"}


def test_closed_and_unknown_stores_are_404(store):
    Store.objects.create(code="shut", name="Closed", is_active=False)
    assert APIClient().get("/api/v1/checkout/stores/shut").status_code == 404
    response = APIClient().get("/api/v1/checkout/stores/nowhere/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_customers_search_products_on_sale_by_name_sku_or_barcode(api, products):
    products["SC0002"].is_active = False
    products["SC0002"].save()
    by_name = api.get("/api/v1/checkout/products", {"search": "cola"}).json()
    assert by_name["results"] == [
        {"sku": "SC0001", "name": "Cola 330ml", "unit_price_fen": 350, "barcode": "6900000000001"}
    ]
    assert [p["sku"] for p in api.get("/api/v1/checkout/products", {"search": "6900000000003"}).json()["results"]] == [
        "SC0003"
    ]
    assert api.get("/api/v1/checkout/products", {"search": "chips"}).json()["results"] == []  # not on sale
    assert api.get("/api/v1/checkout/products").json()["count"] == 2


def test_product_search_is_for_logged_in_customers(client, staff_api, products):
    assert client.get("/api/v1/checkout/products").status_code == 401  # log in with WeChat first
    assert staff_api.get("/api/v1/checkout/products").status_code == 401  # customers only: staff have /api/v1/products


def test_a_line_quantity_can_be_put_as_well_as_patched(api, customer, store, products):
    """wx.request has no PATCH method: the mini-program PUTs the quantity."""
    from checkout.models import Recognition

    line = {"sku": "SC0001", "quantity": 1, "boxes": [], "source": "added"}
    recognition = Recognition.objects.create(
        customer=customer, store=store, photo="r.jpg", status=Recognition.Status.DONE, lines=[line]
    )
    url = f"/api/v1/checkout/recognitions/{recognition.pk}/lines/SC0001"
    body = api.put(url, {"quantity": 3}, format="json").json()
    assert body["lines"][0]["quantity"] == 3 and body["total_fen"] == 3 * 350
    assert api.patch(url, {"quantity": 2}, format="json").json()["total_fen"] == 2 * 350
