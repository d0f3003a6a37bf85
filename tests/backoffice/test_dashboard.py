"""Dashboard figures against numbers worked out by hand, in the stores' time zone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import queries
from tests.backoffice.conftest import engine_result, local, make_recognition, paid_order

pytestmark = pytest.mark.django_db


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
