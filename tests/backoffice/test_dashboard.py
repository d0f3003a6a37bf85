"""Dashboard figures against numbers worked out by hand, in the stores' time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Store
from orders import actions as order_actions
from orders.models import Payment
from orders.services import LineRequest, create_order
from reports import queries
from reports.models import DailySalesSummary
from reports.tasks import daily_sales_summary
from tests.backoffice.conftest import engine_result, local, make_recognition, paid_order, settled_refund

pytestmark = pytest.mark.django_db


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


def test_dashboard_reads_summarised_days_from_the_summary_table(sales, shop, login):
    d1, _d2 = sales
    daily_sales_summary(d1.isoformat())
    DailySalesSummary.objects.filter(day=d1, store=shop).update(gross_fen=99900, orders=9)
    days = {d.day: d for d in queries.sales_by_day(queries.Period(*sales))}
    assert days[d1].from_summary and days[d1].gross_fen == 99900
    assert not days[_d2].from_summary and days[_d2].gross_fen == 1700


def test_dashboard_page_shows_the_figures(sales, login, shop, customer):
    make_recognition(shop, customer, engine_result([("COLA", 0.9, [0, 0, 100, 100]), ("TEA", 0.7, [110, 0, 210, 100])]))
    make_recognition(shop, customer, engine_result([("COLA", 0.8, [0, 0, 100, 100])], unknown=[[120, 10, 220, 110]]))
    page = login("manager").get(reverse("backoffice:dashboard"), {"days": 7}).content.decode()
    assert 'data-stat="gross">¥37.00<' in page
    assert 'data-stat="orders">4<' in page
    assert 'data-stat="basket">¥9.25<' in page
    assert 'data-stat="refunded">¥3.50<' in page
    assert 'data-stat="confidence">80.0%<' in page  # (0.9 + 0.7 + 0.8) / 3
    assert 'data-stat="unknown">25.0%<' in page  # 1 of 4 detected items
    assert 'data-stat="failed">0<' in page and 'id="failed-recognitions"' not in page
    assert page.count('class="bar"') == 7 + 24 + len(queries.CONFIDENCE_BUCKETS)
    assert "Green tea" in page and "CHIPS" in page  # top products and the low-stock list


def test_dashboard_query_count_does_not_grow_with_orders(sales, login, shop, customer):
    client = login("manager")
    url = reverse("backoffice:dashboard")

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries_for_page()
    for minute in range(10):
        paid_order(shop, customer, {"COLA": 1}, local(sales[1].year, sales[1].month, sales[1].day, 8, minute))
    assert queries_for_page() == before
    assert before < 25


def test_failed_recognitions_are_counted_with_their_reason(login, shop, customer):
    make_recognition(shop, customer, engine_result([("COLA", 0.9, [0, 0, 100, 100])]))
    for failure in ("engine", "engine", "bad_image"):
        make_recognition(shop, customer, {}, status="failed", failure=failure, error="...")
    make_recognition(shop, customer, {}, status="pending")  # still running: neither done nor failed
    quality = queries.recognition_quality(queries.Period.last_days(7))
    assert quality.recognitions == 1 and quality.failed == 3 and quality.failure_rate == 0.75
    assert quality.failures == [
        ("Recognition is unavailable (models, gallery)", 2),
        ("The photo could not be decoded", 1),
    ]
    page = login("manager").get(reverse("backoffice:dashboard"), {"days": 7}).content.decode()
    assert 'data-stat="failed">3<' in page
    assert "3 photos got no cart</strong> (75.0% of attempts)" in page
    assert "Recognition is unavailable (models, gallery)" in page
