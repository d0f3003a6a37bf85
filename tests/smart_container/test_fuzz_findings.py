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
    for value in ("Token abc", "garbage", "Basic bm90LWJhc2U2NA==", "Bearer nope", "", "  "):
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


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/orders", "created_before"),
        ("/api/v1/orders", "created_after"),
        ("/api/v1/orders", "customer"),
        ("/api/v1/orders", "status"),
        ("/api/v1/products", "is_active"),
        ("/api/v1/products", "min_price_fen"),
        ("/api/v1/products", "page"),
        ("/api/v1/products", "page_size"),
    ],
)
def test_a_typed_parameter_given_empty_is_a_400_naming_it(staff_client, url, parameter):
    response = staff_client.get(f"{url}?{parameter}=")
    assert response.status_code == 400, response.content
    assert [f["field"] for f in response.json()["error"]["fields"]] == [parameter]
    assert staff_client.get(url).status_code == 200  # left out: no filter


def test_a_page_number_is_a_whole_number_and_a_page_past_the_last_is_a_404(staff_client):
    for value in ("abc", "0", "-1", "1.0", "last"):
        response = staff_client.get("/api/v1/products", {"page": value})
        assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "page", value
    for value in ("2", "9" * 30, "9" * 5000):  # schema-valid: 404, never a 400 or a ValueError's 500
        assert staff_client.get("/api/v1/products", {"page": value}).status_code == 404, value
    assert staff_client.get("/api/v1/products", {"page_size": "9" * 5000}).status_code == 400


def test_empty_text_parameters_are_no_filter(staff_client, products):
    count = staff_client.get("/api/v1/products").json()["count"]
    assert count > 0
    for parameter in ("search", "store", "ordering"):
        url = "/api/v1/orders" if parameter == "store" else "/api/v1/products"
        assert staff_client.get(f"{url}?{parameter}=").status_code == 200, parameter
    assert staff_client.get("/api/v1/products?search=").json()["count"] == count


def test_a_nul_in_text_parameters_is_a_400_naming_it_and_the_schema_says_so(staff_client, api):
    for parameter in ("search", "barcode"):
        response = staff_client.get("/api/v1/products", {parameter: "69\x00"})
        assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == parameter
    response = api.get("/api/v1/checkout/products", {"search": "a\x00"})
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "search"
    schema = staff_client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert parameters["search"]["pattern"] == parameters["barcode"]["pattern"] == "^[^\\x00]*$"
