"""A shop with sales worked out by hand, in the stores' time zone (shared with the back office's tests)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from accounts.models import Customer
from catalog import services as catalog_services
from catalog.models import Store
from orders.models import Order, Payment
from orders.services import LineRequest, create_order
from payments.paying import confirm_payment
from reports import queries
from reports.queries import local_tz

_numbers = itertools.count(1)


@pytest.fixture
def shop(db) -> Store:
    store = Store.objects.create(code="s1", name="Shop One")
    for sku, name, price, stock in (
        ("COLA", "Cola 330ml", 350, 50),
        ("CHIPS", "Potato chips", 800, 3),
        ("WATER", "Mineral water", 200, 0),
        ("TEA", "Green tea", 500, 20),
    ):
        catalog_services.create_product(sku=sku, name=name, price_fen=price, stock=stock, source="import")
    return store


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(app_id="wxtest", openid="o-customer")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=local_tz())


def paid_order(store: Store, customer: Customer, lines: dict[str, int], paid_at: datetime) -> Order:
    """An order made by orders.services and paid through payments.paying.confirm_payment."""
    order = create_order(customer=customer, store=store, lines=[LineRequest(s, q) for s, q in lines.items()])
    n = next(_numbers)
    payment = Payment.objects.create(order=order, out_trade_no=f"T{n:08d}", amount_fen=order.total_fen)
    confirm_payment(payment, transaction_id=f"4200{n:016d}", paid_at=paid_at)
    order.refresh_from_db()
    return order


def settled_refund(order: Order, amount_fen: int, settled_at: datetime, requested_by=None):
    """A refund row settled through payments.refunds.apply_refund_state, as WeChat's answer would."""
    from orders.models import Refund
    from payments.gateway import RefundState
    from payments.refunds import apply_refund_state

    payment = order.payments.get()
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        out_refund_no=f"R{next(_numbers):08d}",
        amount_fen=amount_fen,
        requested_by=requested_by,
    )
    apply_refund_state(
        refund,
        RefundState(
            None, refund.out_refund_no, payment.out_trade_no, f"50{refund.pk:012d}", "SUCCESS", amount_fen, settled_at
        ),
    )
    refund.refresh_from_db()
    return refund


@pytest.fixture
def sales(shop, customer):
    """Yesterday (D1) and today (D2), local time (Asia/Shanghai, UTC+8):

    D1 09:30  COLA x2 + CHIPS x1 = 15.00    D1 23:50  TEA x1 = 5.00
    D2 00:10  COLA x1 = 3.50 (still D1 in UTC)   D2 09:05  TEA x2 + COLA x1 = 13.50
    D2 12:00  refund 3.50 of the 00:10 order; one unpaid order on D2 (not a sale).
    """
    today = queries.local_today()
    d1, d2 = today - timedelta(days=1), today
    at = lambda day, h, m: local(day.year, day.month, day.day, h, m)  # noqa: E731
    paid_order(shop, customer, {"COLA": 2, "CHIPS": 1}, at(d1, 9, 30))
    paid_order(shop, customer, {"TEA": 1}, at(d1, 23, 50))
    late = paid_order(shop, customer, {"COLA": 1}, at(d2, 0, 10))
    paid_order(shop, customer, {"TEA": 2, "COLA": 1}, at(d2, 9, 5))
    settled_refund(late, 350, at(d2, 12, 0))
    create_order(customer=customer, store=shop, lines=[LineRequest("TEA", 1)])
    return d1, d2
