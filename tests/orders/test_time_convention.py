"""One time convention on the wire: every timestamp the API sends is in the stores' offset (+08:00)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orders.models import Payment
from orders.services import LineRequest, create_order

pytestmark = pytest.mark.django_db


def timestamps(value, path=""):
    """Every (path, value) in a JSON answer whose key names a time."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_at") or key in ("ends_by",):
                yield f"{path}.{key}", item
            yield from timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from timestamps(item, f"{path}[{n}]")


def test_a_paid_orders_times_and_its_receipt_are_all_in_plus_0800(api, staff_api, customer, store, products):
    order = create_order(customer=customer, store=store, lines=[LineRequest("SC0001", 1)])
    paid_at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 07:30 the next morning in the store
    Payment.objects.create(
        order=order, out_trade_no="T1", transaction_id="W1", amount_fen=350, state="succeeded", paid_at=paid_at
    )
    order.status, order.paid_at = "paid", paid_at
    order.save()
    for client in (api, staff_api):
        body = client.get(f"/api/v1/orders/{order.pk}").json()
        found = dict(timestamps(body))
        assert {".paid_at", ".receipt.paid_at", ".payments[0].paid_at", ".created_at"} <= set(found)
        for path, value in found.items():
            assert value is None or value.endswith("+08:00"), (path, value)
        assert body["receipt"]["paid_at"].startswith("2026-12-02T07:30:00")
