"""What one order, one cart and one customer may add up to: MAX_ORDER_TOTAL_FEN, the cap on open
unpaid orders (ORDERS_MAX_OPEN_PER_CUSTOMER) and the order-creation throttle (THROTTLE_ORDER_CREATE)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import MAX_PRICE_FEN, Product
from checkout.models import Recognition
from orders.models import Order
from orders.services import MAX_QUANTITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def dearest(db) -> list[Product]:
    """Five products at the catalog's highest prices (the fuzzer's reproduction)."""
    return [
        Product.objects.create(sku=f"DEAR{n}", name=f"Dear {n}", price_fen=MAX_PRICE_FEN - n, stock=10_000)
        for n in range(5)
    ]


def error_of(response) -> dict:
    return response.json()["error"]


def test_five_dearest_products_x_999_in_a_cart_is_a_400_naming_quantity(api, customer, store, dearest):
    recognition = Recognition.objects.create(customer=customer, store=store, photo="r.jpg", status="done")
    url = f"/api/v1/checkout/recognitions/{recognition.pk}/lines"
    statuses = [api.post(url, {"sku": p.sku, "quantity": MAX_QUANTITY}, format="json") for p in dearest]
    refused = statuses[0]  # 999 x ~1e8 fen is past the largest order total already
    assert refused.status_code == 400
    assert error_of(refused)["fields"][0]["field"] == "quantity"
    assert "at most 1000000000 fen" in error_of(refused)["message"]
    assert all(r.status_code == 400 for r in statuses)
    recognition.refresh_from_db()
    assert recognition.lines == [] and recognition.total_fen == 0 and not recognition.corrected


def test_raising_a_cart_line_past_the_total_is_refused_and_lowering_it_is_not(api, customer, store, dearest):
    line = {"sku": "DEAR0", "quantity": 10, "boxes": [], "source": "added"}
    recognition = Recognition.objects.create(customer=customer, store=store, photo="r.jpg", status="done", lines=[line])
    url = f"/api/v1/checkout/recognitions/{recognition.pk}/lines/DEAR0"
    grown = api.patch(url, {"quantity": 11}, format="json")
    assert grown.status_code == 400 and error_of(grown)["fields"][0]["field"] == "quantity"
    assert api.patch(url, {"quantity": 10}, format="json").status_code == 200  # 10 x ~1e8 = the limit or less
    assert api.patch(url, {"quantity": 3}, format="json").json()["total_fen"] == 3 * (MAX_PRICE_FEN)


def test_one_product_at_1e8_fen_x_22_in_an_order_is_a_400_naming_lines(api, store, dearest):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "DEAR0", "quantity": 22}]}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"][0]["field"] == "lines"
    assert not Order.objects.exists()
    assert Product.objects.get(sku="DEAR0").stock == 10_000  # nothing reserved


def test_an_order_at_exactly_the_largest_total_is_taken(api, store, make_product, settings):
    settings.MAX_ORDER_TOTAL_FEN = 2**31 - 1  # the widest allowed: 21 x 1e8 fen fits, 22 would not
    make_product(sku="BIG", price_fen=MAX_PRICE_FEN, stock=100)
    response = api.post("/api/v1/orders", {"lines": [{"sku": "BIG", "quantity": 21}]}, format="json")
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.total_fen == 21 * MAX_PRICE_FEN and order.lines.get().subtotal_fen == 21 * MAX_PRICE_FEN
    settings.MAX_ORDER_TOTAL_FEN = 21 * MAX_PRICE_FEN - 1
    again = api.post("/api/v1/orders", {"lines": [{"sku": "BIG", "quantity": 21}]}, format="json")
    assert again.status_code == 400 and Order.objects.count() == 1


def test_the_largest_total_is_refused_past_32_bits():
    import subprocess
    import sys

    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='smart_container.settings'; django.setup()"
    env = {**__import__("os").environ, "MAX_ORDER_TOTAL_FEN": str(2**31)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode != 0 and "MAX_ORDER_TOTAL_FEN" in run.stderr


def test_open_unpaid_orders_per_customer_are_capped_with_a_409(api, customer, store, products, settings):
    settings.ORDERS_MAX_OPEN_PER_CUSTOMER = 2
    one = {"lines": [{"sku": "SC0001", "quantity": 1}]}
    assert [api.post("/api/v1/orders", one, format="json").status_code for _ in range(2)] == [201, 201]
    third = api.post("/api/v1/orders", one, format="json")
    assert third.status_code == 409 and error_of(third)["code"] == "too_many_open_orders"
    assert Order.objects.count() == 2 and Product.objects.get(sku="SC0001").stock == 8
    # An order that is paid, closed or past its expiry holds nothing: the customer may order again.
    Order.objects.filter(pk=Order.objects.first().pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post("/api/v1/orders", one, format="json").status_code == 201


def test_the_cap_is_per_customer(api, other_customer, store, products, settings):
    from tests.wechat_fixtures import client_for

    settings.ORDERS_MAX_OPEN_PER_CUSTOMER = 1
    one = {"lines": [{"sku": "SC0002", "quantity": 1}]}
    assert api.post("/api/v1/orders", one, format="json").status_code == 201
    assert client_for(other_customer).post("/api/v1/orders", one, format="json").status_code == 201


def test_order_creation_is_throttled_per_customer(api, other_customer, store, products, monkeypatch, settings):
    from tests.wechat_fixtures import client_for

    monkeypatch.setitem(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "order_create", "2/min")
    bad = {"lines": [{"sku": "NOPE", "quantity": 1}]}
    statuses = [api.post("/api/v1/orders", bad, format="json").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert api.get("/api/v1/orders").status_code == 200  # reading is not throttled
    assert client_for(other_customer).post("/api/v1/orders", bad, format="json").status_code == 400
