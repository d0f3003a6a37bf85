"""Races against a real database: last units never oversold, a payment never applied twice.

Meant for PostgreSQL (DATABASE_URL): real row locks and concurrent writers.  pytest-django's
SQLite test database is an in-memory shared-cache one whose table locks ignore the busy
timeout ("database table is locked"), so these tests are skipped there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from catalog.models import Product
from orders import actions as order_actions
from orders.models import Order, Payment, Refund
from payments import paying
from tests.wechat_fixtures import client_for, post_notification

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connections["default"].vendor == "sqlite", reason="needs a server database (set DATABASE_URL)"),
]
THREADS = 10
NOTIFY = "/api/v1/payments/wechat/notify"


def run_in_threads(fn, count: int) -> list:
    def wrapped(i):
        try:
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(wrapped, range(count)))


def test_last_units_are_never_oversold(store, products, customer, other_customer):
    Product.objects.filter(sku="SC0001").update(stock=4)
    clients = [client_for(customer), client_for(other_customer)]

    def buy(i):
        response = clients[i % 2].post("/api/v1/orders", {"lines": [{"sku": "SC0001", "quantity": 1}]}, format="json")
        return response.status_code

    statuses = run_in_threads(buy, 12)
    assert sorted(statuses) == [201] * 4 + [409] * 8, statuses
    assert Product.objects.get(sku="SC0001").stock == 0
    assert Order.objects.count() == 4


def test_concurrent_duplicate_notifications_pay_once(api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0002", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    wechat.complete_payment(order.pk.hex, notify=False)
    notes = [wechat.payment_notification(order.pk.hex) for _ in range(THREADS)]  # distinct deliveries

    statuses = run_in_threads(lambda i: post_notification(APIClient(), NOTIFY, notes[i]).status_code, THREADS)
    assert statuses == [204] * THREADS
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(order=order, state="succeeded").count() == 1


def test_mark_paid_applies_exactly_once_under_races(api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0002", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    api.post(f"/api/v1/orders/{order.pk}/pay")
    payment = Payment.objects.get(order=order)
    results = run_in_threads(lambda i: paying.confirm_payment(payment, transaction_id="4200001", paid_at=None), THREADS)
    assert results.count(True) == 1 and results.count(False) == THREADS - 1


def test_duplicate_payments_on_a_closed_order_refund_it_once(api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0002", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    api.post(f"/api/v1/orders/{order.pk}/pay")
    assert order_actions.close(order)
    wechat.complete_payment(order.pk.hex, notify=False)
    payment = Payment.objects.get(order=order)
    results = run_in_threads(lambda i: paying.confirm_payment(payment, transaction_id="4200002", paid_at=None), THREADS)
    assert results.count(True) == 1
    assert Refund.objects.get(order=order).amount_fen == order.total_fen
    assert wechat.transactions[order.pk.hex].refunded == order.total_fen
    assert Order.objects.get(pk=order.pk).status == "closed"


def test_payment_racing_expiry_ends_consistent(api, store, products, wechat):
    """Closing and confirming the payment at once: either paid (stock kept sold) or closed (stock back), never both."""

    for _ in range(5):
        response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 2}]}, format="json")
        order = Order.objects.get(pk=response.json()["id"])
        api.post(f"/api/v1/orders/{order.pk}/pay")
        payment = Payment.objects.get(order=order)

        def race(i, order=order, payment=payment):
            return (
                order_actions.close(order)
                if i == 0
                else paying.confirm_payment(payment, transaction_id=None, paid_at=None)
            )

        run_in_threads(race, 2)
        order.refresh_from_db()
        assert order.status in ("paid", "closed")
    paid = Order.objects.filter(status="paid").count()
    assert Product.objects.get(sku="SC0003").stock == 10 - 2 * paid
