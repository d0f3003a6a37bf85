"""Paying and refunding through the real API against the fake WeChat, whose ledger writes the bills."""

from __future__ import annotations

import pytest

from orders.models import Order
from tests.wechat_fixtures import post_notification

NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"


@pytest.fixture
def bills_now(wechat):
    """The fake serves today's bills at once (WeChat waits until 10:00 the next day)."""
    wechat.bills_ready_immediately = True
    return wechat


@pytest.fixture
def order_for(api, store, products):
    def _order(quantity: int = 1, sku: str = "SC0002") -> Order:
        response = api.post("/api/v1/orders", {"lines": [{"sku": sku, "quantity": quantity}]}, format="json")
        assert response.status_code == 201, response.content
        order = Order.objects.get(pk=response.json()["id"])
        assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
        return order

    return _order


@pytest.fixture
def pay(order_for, wechat, client):
    """An order paid at WeChat; its notification delivered unless ``notify=False`` (lost)."""

    def _pay(quantity: int = 1, *, notify: bool = True) -> Order:
        order = order_for(quantity)
        wechat.complete_payment(order.pk.hex, notify=False)
        if notify:
            assert post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex)).status_code == 204
        order.refresh_from_db()
        return order

    return _pay


@pytest.fixture
def refund(staff_api, wechat, client):
    """A staff refund; WeChat settles it and notifies unless ``notify=False`` (settled only at WeChat)."""

    def _refund(order: Order, amount_fen: int, out_refund_no: str, *, notify: bool = True) -> None:
        response = staff_api.post(
            f"/api/v1/orders/{order.pk}/refunds",
            {"amount_fen": amount_fen, "out_refund_no": out_refund_no},
            format="json",
        )
        assert response.status_code == 201, response.content
        wechat.settle_refund(out_refund_no, notify=False)
        if notify:
            assert (
                post_notification(client, REFUND_NOTIFY, wechat.refund_notification(out_refund_no)).status_code == 204
            )

    return _refund
