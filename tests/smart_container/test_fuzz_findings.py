"""What schemathesis found (scripts/fuzz_api.py), each pinned by one request."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalog.models import Product
from orders.services import LineRequest, create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_staff(db) -> APIClient:
    """Staff logged in with a session, as in the back office."""
    get_user_model().objects.create_user("boss", password="pw-boss-12345", is_staff=True)
    client = APIClient()
    assert client.login(username="boss", password="pw-boss-12345")
    return client


def test_an_unusable_authorization_header_is_a_401_even_beside_a_staff_session(session_staff):
    assert session_staff.get("/api/v1/gallery/status").status_code == 200
    for value in ("Token abc", "garbage", "Basic bm90LWJhc2U2NA==", "Bearer nope"):
        response = session_staff.get("/api/v1/gallery/status", HTTP_AUTHORIZATION=value)
        assert response.status_code == 401, value
        assert response.json()["error"]["status"] == 401


def test_basic_credentials_with_a_nul_byte_are_a_401_not_a_database_error(anon_client):
    value = "Basic " + base64.b64encode(b"bo\x00ss:pw").decode()
    assert anon_client.get("/api/v1/products", HTTP_AUTHORIZATION=value).status_code == 401


def test_options_on_refunds_describes_the_request(staff_client, customer, store, products):
    order = create_order(customer=customer, store=store, lines=[LineRequest("SC0001", 1)])
    response = staff_client.options(f"/api/v1/orders/{order.pk}/refunds")
    assert response.status_code == 200 and "amount_fen" in response.json()["actions"]["POST"]


def test_a_customer_only_operation_answers_401_to_staff(session_staff):
    response = session_staff.post("/api/v1/orders", {"lines": [{"sku": "X", "quantity": 1}]}, format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("value", ["null", "abc", "1", "True"])
def test_a_boolean_filter_takes_true_or_false_only(staff_client, value):
    response = staff_client.get("/api/v1/stores", {"is_active": value})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "is_active"
    assert staff_client.get("/api/v1/stores", {"is_active": "false"}).status_code == 200


@pytest.mark.parametrize("value", ["1.5", "1.394102467624391e+149", str(2**63), "-1"])
def test_integer_filters_are_integers_within_their_bounds(staff_client, value):
    response = staff_client.get("/api/v1/orders", {"customer": value})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "customer"
    assert staff_client.get("/api/v1/products", {"min_price_fen": str(2**63 - 1)}).json()["count"] == 0


def test_an_empty_barcode_is_documented_and_means_none(staff_client):
    schema = staff_client.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["ProductRequest"]["properties"]["barcode"]["pattern"] == "^(?:[0-9]{8,14})?$"
    body = {"sku": "NB1", "name": "No barcode", "price_fen": 100, "barcode": ""}
    assert staff_client.post("/api/v1/products", body, format="json").status_code == 201
    assert Product.objects.get(sku="NB1").barcode is None
    assert (
        staff_client.post("/api/v1/products", {**body, "sku": "NB2", "barcode": "12"}, format="json").status_code == 400
    )


def test_a_photo_id_that_is_not_a_uuid_is_a_404(api):
    assert api.get("/api/v1/checkout/recognitions/000000000000000000000000000000000000/photo").status_code == 404
