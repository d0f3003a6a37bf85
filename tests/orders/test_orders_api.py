"""Staff order endpoints: list, filter, detail; strangers get the one error shape."""

from __future__ import annotations

import re
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
    assert detail["total_fen"] == 500 and detail["store"] == "demo"
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


@pytest.mark.parametrize("offset", ["+14:00", "-14:00", "+08:00", "Z", ""])
def test_date_filters_take_every_time_zones_offset(staff_client, order, offset):
    """Compared in UTC (PostgreSQL refuses offsets past ±15:59); no offset: the store's time zone."""
    response = staff_client.get("/api/v1/orders", {"created_after": f"2020-01-01T00:00:00{offset}"})
    assert response.status_code == 200 and response.json()["count"] == 1
    assert staff_client.get("/api/v1/orders", {"created_before": f"2020-01-01T00:00:00{offset}"}).json()["count"] == 0


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-01T00:00:00+16:00",  # the fuzzer's 500: no time zone is past ±14:00
        "2020-01-01T00:00:00-23:59",
        "2020-01-01T00:00:00+14:01",
        "2020-01-01T00:00:00+05:53:28",
        "2020-01-01T00:00:00\n",
        "01/01/2020",
    ],
)
def test_a_date_time_outside_the_documented_form_is_a_400_naming_the_parameter(staff_client, order, value):
    response = staff_client.get("/api/v1/orders", {"created_after": value})
    assert response.status_code == 400
    [error] = response.json()["error"]["fields"]
    assert error["field"] == "created_after" and error["code"] == "invalid"
    assert "±14:00" in error["message"]
    operation = staff_client.get("/api/schema/?format=json").json()["paths"]["/api/v1/orders"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "created_after"]
    assert parameter["schema"]["format"] == "date-time"
    assert not re.fullmatch(parameter["schema"]["pattern"], value)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00"])
def test_a_date_with_no_utc_equivalent_is_a_400_naming_the_parameter(staff_client, order, value):
    response = staff_client.get("/api/v1/orders", {"created_after": value})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == [
        {
            "field": "created_after",
            "code": "out_of_range",
            "message": "This date-time is out of range once converted to UTC.",
        }
    ]


def test_customers_date_filter_with_a_large_offset(customer, order):
    from tests.wechat_fixtures import client_for

    response = client_for(customer).get("/api/v1/orders", {"created_after": "2020-01-01T00:00:00+16:00"})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "created_after"
    response = client_for(customer).get("/api/v1/orders", {"created_after": "2020-01-01T00:00:00+14:00"})
    assert response.status_code == 200 and response.json()["count"] == 1
