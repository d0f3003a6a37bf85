"""Staff order endpoints: list, filter, detail; strangers get the one error shape."""

from __future__ import annotations

import uuid

import pytest

from orders.services import LineRequest, create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, store, make_product):
    make_product(sku="A", price_fen=250)
    return create_order(customer=customer, store=store, lines=[LineRequest("A", 2)])


def test_staff_list_and_detail(staff_client, order):
    listing = staff_client.get("/api/v1/orders", {"status": "created"}).json()
    assert listing["count"] == 1
    detail = staff_client.get(f"/api/v1/orders/{order.pk}").json()
    assert detail["total_fen"] == 500 and detail["store"] == "s1"
    assert detail["lines"] == [
        {"sku": "A", "name": "Product 1", "unit_price_fen": 250, "quantity": 2, "subtotal_fen": 500}
    ]
    assert staff_client.get("/api/v1/orders", {"status": "paid"}).json()["count"] == 0
    assert staff_client.get("/api/v1/orders", {"search": "A"}).json()["count"] == 1


def test_orders_are_read_only_and_unknown_ids_404(staff_client, order):
    assert staff_client.delete(f"/api/v1/orders/{order.pk}").status_code == 405
    assert staff_client.get(f"/api/v1/orders/{uuid.uuid4()}").json()["error"]["status"] == 404
    assert staff_client.get("/api/v1/orders/not-a-uuid").json()["error"]["status"] == 404
    bad_filter = staff_client.get("/api/v1/orders", {"status": "stolen"})
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["fields"][0]["field"] == "status"


def test_anonymous_get_403_in_error_shape(anon_client, order):
    response = anon_client.get("/api/v1/orders")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"
