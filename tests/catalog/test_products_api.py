"""The staff product API: CRUD, search, filters, pagination, and bad input in the one error shape."""

from __future__ import annotations

import pytest

from catalog.models import Category, PriceChange, Product

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status
    assert error["message"]
    if field is not None:
        assert field in {f["field"] for f in error["fields"]}, error
        assert field in error["message"]
    return error


def test_create_read_update_delete(staff_client, staff_user):
    created = staff_client.post(
        URL, {"sku": "COLA-330", "name": "Cola 330ml", "price_fen": 350, "stock": 24}, format="json"
    )
    assert created.status_code == 201, created.content
    product_id = created.json()["id"]
    assert created.json()["price_fen"] == 350

    detail = staff_client.get(f"{URL}/{product_id}")
    assert detail.json()["sku"] == "COLA-330"
    assert detail.json()["images"] == []

    patched = staff_client.patch(f"{URL}/{product_id}", {"price_fen": 399}, format="json")
    assert patched.status_code == 200
    assert Product.objects.get(pk=product_id).price_fen == 399

    history = staff_client.get(f"{URL}/{product_id}/price-history").json()["results"]
    assert [(h["old_price_fen"], h["new_price_fen"]) for h in history] == [(350, 399), (None, 350)]
    assert history[0]["changed_by"] == staff_user.username

    assert staff_client.delete(f"{URL}/{product_id}").status_code == 204
    assert_error(staff_client.get(f"{URL}/{product_id}"), 404)


def test_update_without_price_change_writes_no_history(staff_client, make_product):
    product = make_product(price_fen=500)
    staff_client.patch(f"{URL}/{product.pk}", {"stock": 3}, format="json")
    assert PriceChange.objects.filter(product=product).count() == 1  # only the creation


def test_search_filter_order_and_paginate(staff_client, make_product):
    make_product(sku="TEA-1", name="Green tea", price_fen=300, stock=2)
    make_product(sku="TEA-2", name="Black tea", price_fen=500, stock=50, is_active=False)
    make_product(sku="MILK-1", name="Milk", price_fen=450, barcode="6901234567892")

    names = lambda r: [p["sku"] for p in r.json()["results"]]  # noqa: E731
    assert names(staff_client.get(URL, {"search": "tea"})) == ["TEA-1", "TEA-2"]
    assert names(staff_client.get(URL, {"search": "6901234567892"})) == ["MILK-1"]
    assert names(staff_client.get(URL, {"is_active": "false"})) == ["TEA-2"]
    assert names(staff_client.get(URL, {"min_price_fen": 400, "ordering": "-price_fen"})) == ["TEA-2", "MILK-1"]
    assert names(staff_client.get(URL, {"low_stock": 5})) == ["TEA-1"]

    page = staff_client.get(URL, {"page_size": 2, "ordering": "sku"}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert_error(staff_client.get(URL, {"page": 99}), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No sku", "price_fen": 1}, "sku"),
        ({"sku": "A1", "price_fen": 1}, "name"),
        ({"sku": "A1", "name": "x"}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": -1}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": 12.5}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": "12"}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": True}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "stock": -3}, "stock"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "stock": 1_000_001}, "stock"),
        ({"sku": "A1", "name": "x", "price_fen": 100_000_001}, "price_fen"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "stock": "many"}, "stock"),
        ({"sku": "bad sku!", "name": "x", "price_fen": 1}, "sku"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "barcode": "12ab"}, "barcode"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "category": 9999}, "category"),
        ({"sku": "A1", "name": "x", "price_fen": 1, "category": "snacks"}, "category"),
        ({"sku": ["A1"], "name": "x", "price_fen": 1}, "sku"),
    ],
)
def test_bad_create_input_is_rejected_and_nothing_saved(staff_client, payload, field):
    assert_error(staff_client.post(URL, payload, format="json"), 400, field)
    assert not Product.objects.exists()
    assert not PriceChange.objects.exists()


def test_duplicate_sku_and_barcode_conflict(staff_client, make_product):
    """A well-formed request that meets taken data is a 409 naming the field, not a 400."""
    make_product(sku="DUP-1", barcode="6901234567892")
    assert_error(staff_client.post(URL, {"sku": "DUP-1", "name": "x", "price_fen": 1}, format="json"), 409, "sku")
    again = {"sku": "DUP-2", "name": "x", "price_fen": 1, "barcode": "6901234567892"}
    assert_error(staff_client.post(URL, again, format="json"), 409, "barcode")
    mixed = {"sku": "DUP-1", "name": "x", "price_fen": -1}  # also invalid: a 400 lists both
    assert_error(staff_client.post(URL, mixed, format="json"), 400, "sku")
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"sku": 12, "name": "x", "price_fen": 1},
        {"sku": "S-1", "name": "x", "price_fen": 1, "is_active": 0},
        {"sku": "S-1", "name": "x", "price_fen": 1, "category": "1"},
        {"sku": "S-1", "name": "x", "price_fen": 1, "category": True},
    ],
)
def test_fields_take_only_the_json_type_the_schema_names(staff_client, body):
    Category.objects.create(name="Drinks", slug="drinks")
    assert_error(staff_client.post(URL, body, format="json"), 400)
    assert not Product.objects.exists()


def test_price_history_is_not_filtered_by_the_product_list_filters(staff_client, make_product):
    product = make_product(price_fen=700)
    response = staff_client.get(f"{URL}/{product.pk}/price-history", {"is_active": "false", "category": 99})
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize("page_size", ["0", "201", "x", "-1", "1.5"])
def test_a_bad_page_size_is_a_400_naming_it(staff_client, page_size):
    response = staff_client.get(URL, {"page_size": page_size})
    assert_error(response, 400, "page_size")


def test_unknown_category_filter_is_an_empty_list(staff_client, make_product):
    make_product()
    response = staff_client.get(URL, {"category": 12345})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_bad_update_leaves_product_and_history_untouched(staff_client, make_product):
    product = make_product(price_fen=700, stock=5)
    assert_error(staff_client.patch(f"{URL}/{product.pk}", {"price_fen": 800, "stock": -1}, format="json"), 400)
    product.refresh_from_db()
    assert (product.price_fen, product.stock) == (700, 5)
    assert PriceChange.objects.filter(product=product).count() == 1


def test_unknown_ids_and_malformed_json(staff_client):
    assert_error(staff_client.get(f"{URL}/424242"), 404)
    assert_error(staff_client.get(f"{URL}/not-a-number"), 404)
    assert_error(staff_client.patch(f"{URL}/424242", {"price_fen": 1}, format="json"), 404)
    bad = staff_client.generic("POST", URL, "{not json", content_type="application/json")
    assert assert_error(bad, 400)["code"] == "parse_error"


def test_form_encoded_bodies_are_refused(staff_client):
    response = staff_client.post(URL, {"sku": "F1", "name": "x", "price_fen": "100"})  # multipart
    assert_error(response, 415)
    assert not Product.objects.exists()


def test_customers_and_strangers_cannot_touch_the_catalog(anon_client, django_user_model):
    assert_error(anon_client.get(URL), 403)
    plain = django_user_model.objects.create_user("shopper", password="pw-123456789")
    anon_client.force_authenticate(plain)
    assert_error(anon_client.post(URL, {"sku": "X", "name": "x", "price_fen": 1}, format="json"), 403)
    assert not Product.objects.exists()


def test_stores_and_categories(staff_client):
    store = staff_client.post("/api/v1/stores", {"code": "sh-01", "name": "Shanghai 1"}, format="json")
    assert store.status_code == 201
    assert_error(staff_client.post("/api/v1/stores", {"code": "sh-01", "name": "again"}, format="json"), 409, "code")
    # Stores are deactivated, not deleted: orders point at them.
    assert staff_client.delete(f"/api/v1/stores/{store.json()['id']}").status_code == 405
    category = staff_client.post("/api/v1/categories", {"name": "Drinks", "slug": "drinks"}, format="json")
    assert category.status_code == 201
    product = staff_client.post(
        URL, {"sku": "W1", "name": "Water", "price_fen": 200, "category": category.json()["id"]}, format="json"
    )
    assert product.json()["category"] == category.json()["id"]
