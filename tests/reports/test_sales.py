"""Sales figures against numbers worked out by hand, in the stores' time zone."""

from __future__ import annotations

import pytest

from catalog.models import Store
from orders import actions as order_actions
from orders.models import Payment
from orders.services import LineRequest, create_order
from reports import queries
from reports.models import DailySalesSummary
from reports.tasks import daily_sales_summary
from tests.reports.conftest import local, paid_order, settled_refund

pytestmark = pytest.mark.django_db


def test_sales_by_day_uses_the_local_day(sales, shop):
    d1, d2 = sales
    days = {d.day: d for d in queries.sales_by_day(queries.Period(d1, d2))}
    assert (days[d1].orders, days[d1].items, days[d1].gross_fen, days[d1].refunded_fen) == (2, 4, 2000, 0)
    assert (days[d2].orders, days[d2].items, days[d2].gross_fen, days[d2].refunded_fen) == (2, 4, 1700, 350)
    total = queries.totals(days.values())
    assert (total.orders, total.gross_fen, total.net_fen, total.average_basket_fen) == (4, 3700, 3350, 925)


def test_refund_of_a_payment_on_a_closed_order_is_not_taken_off_sales(sales, shop, customer):
    """A payment that lands after expiry is refunded automatically; it was never a sale either."""
    d1, d2 = sales
    closed = create_order(customer=customer, store=shop, lines=[LineRequest("TEA", 1)])
    order_actions.close(closed)
    Payment.objects.create(order=closed, out_trade_no="LATE0001", amount_fen=closed.total_fen, state="succeeded")
    settled_refund(closed, closed.total_fen, local(d2.year, d2.month, d2.day, 13, 0))
    days = {d.day: d for d in queries.sales_by_day(queries.Period(d1, d2))}
    assert (days[d2].orders, days[d2].gross_fen, days[d2].refunded_fen) == (2, 1700, 350)


def test_sales_by_hour_and_top_products(sales):
    period = queries.Period(*sales)
    hours = {h.hour: h.orders for h in queries.sales_by_hour(period) if h.orders}
    assert hours == {0: 1, 9: 2, 23: 1}
    top = [(p.sku, p.quantity, p.gross_fen) for p in queries.top_products(period)]
    assert top == [("TEA", 3, 1500), ("COLA", 4, 1400), ("CHIPS", 1, 800)]


def test_store_filter(sales, shop, customer):
    other = Store.objects.create(code="s2", name="Shop Two")
    paid_order(other, customer, {"CHIPS": 1}, local(sales[1].year, sales[1].month, sales[1].day, 10, 0))
    period = queries.Period(*sales)
    assert queries.totals(queries.sales_by_day(period, shop)).gross_fen == 3700
    assert queries.totals(queries.sales_by_day(period, other)).gross_fen == 800
    assert queries.totals(queries.sales_by_day(period)).gross_fen == 4500


def test_daily_summary_task_is_idempotent_and_matches_live_figures(sales, shop):
    d1, d2 = sales
    Store.objects.create(code="empty", name="No sales")
    first = daily_sales_summary(d2.isoformat())
    again = daily_sales_summary(d2.isoformat())
    assert first == again == {"day": d2.isoformat(), "stores": 2, "gross_fen": 1700}
    rows = DailySalesSummary.objects.filter(day=d2)
    assert rows.count() == 2
    row = rows.get(store=shop)
    assert (row.orders, row.items, row.gross_fen, row.refunded_fen, row.net_fen) == (2, 4, 1700, 350, 1350)
    assert rows.get(store__code="empty").gross_fen == 0
    # The default is yesterday, local time.
    assert daily_sales_summary()["day"] == d1.isoformat()


def test_summarised_days_are_read_from_the_summary_table(sales, shop):
    d1, _d2 = sales
    daily_sales_summary(d1.isoformat())
    DailySalesSummary.objects.filter(day=d1, store=shop).update(gross_fen=99900, orders=9)
    days = {d.day: d for d in queries.sales_by_day(queries.Period(*sales))}
    assert days[d1].from_summary and days[d1].gross_fen == 99900
    assert not days[_d2].from_summary and days[_d2].gross_fen == 1700
