"""Payment notifications: the database alone decides idempotency when the cache is down, and
amounts must be JSON integers (a float, a numeric string or garbage is refused, never truncated
and never a 500)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.wechat_fixtures import post_notification

pytestmark = pytest.mark.django_db
NOTIFY = "/api/v1/payments/wechat/notify"


@pytest.fixture
def prepaid(api, store, products, wechat) -> Order:
    lines = [{"sku": "SC0001", "quantity": 2}, {"sku": "SC0002", "quantity": 1}]
    response = api.post("/api/v1/orders", {"lines": lines}, format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    wechat.complete_payment(order.pk.hex, notify=False)
    return order


@pytest.mark.parametrize("total", [1500.9, 1500.0, "1500", "abc", True, None])
def test_an_amount_that_is_not_a_json_integer_is_refused(prepaid, wechat, total):
    """Before: 1500.9 and "1500" were truncated to 1500 fen and accepted; "abc" was a 500."""
    note = wechat.payment_notification(prepaid.pk.hex, amount={"total": total, "currency": "CNY"})
    response = post_notification(APIClient(), NOTIFY, note)
    assert response.status_code == 400, response.content
    assert "amount" in response.json()["error"]["message"]
    prepaid.refresh_from_db()
    assert prepaid.status == "created" and prepaid.payments.get().state == "pending"


def test_with_the_cache_down_a_notification_is_applied_once_by_the_database(prepaid, wechat, dead_cache):
    """Before: 500 (the nonce check needed Redis).  Now the replay check is skipped and the
    payment's row lock and state make the second delivery a no-op."""
    note = wechat.payment_notification(prepaid.pk.hex)
    first = post_notification(APIClient(), NOTIFY, note)
    assert first.status_code == 204, first.content
    again = post_notification(APIClient(), NOTIFY, note)  # the same signed delivery, replayed
    assert again.status_code == 204, again.content
    prepaid.refresh_from_db()
    payment = prepaid.payments.get()
    assert prepaid.status == "paid" and payment.state == "succeeded"
    assert payment.transaction_id == wechat.transactions[prepaid.pk.hex].transaction_id
