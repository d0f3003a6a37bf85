"""The reconciliation pages: days and their state, a day's sums and discrepancies, staff closing one,
the dashboard's alert, and who may see what."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import Discrepancy, ReconciliationRun

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 30)


@pytest.fixture
def run(shop, customer, staff):
    from tests.backoffice.conftest import paid_order

    order = paid_order(shop, customer, {"TEA": 1}, timezone.now())
    run = ReconciliationRun.objects.create(
        day=DAY, state="discrepancies", gross_fen=12345, refunds_fen=300, fee_fen=74, net_fen=11971,
        checked_at=timezone.now(), bill_payments=3, local_payments=3, matched=2,
    )  # fmt: skip
    payment = order.payments.get()
    Discrepancy.objects.create(
        run=run, kind="amount_differs", reference=payment.out_trade_no, payment=payment, wechat_fen=700,
        local_fen=800, wechat_state="SUCCESS", local_state="succeeded", resolution="needs_staff",
    )  # fmt: skip
    Discrepancy.objects.create(
        run=run, kind="unpaid_here", reference="T-LOST", wechat_fen=500, local_state="pending",
        resolution="recorded_paid", is_open=False, resolved_at=timezone.now(),
    )  # fmt: skip
    ReconciliationRun.objects.create(day=date(2026, 11, 29), state="matched", checked_at=timezone.now())
    return run


def test_days_listed_with_their_state_and_sums(login, run):
    page = login("manager").get(reverse("backoffice:reconciliation"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("2026-11-30") < body.index("2026-11-29")
    assert 'data-state="discrepancies"' in body and 'data-state="matched"' in body
    assert "¥123.45" in body and "¥119.71" in body and "1 open" in body


def test_day_shows_what_was_done_and_what_staff_must_decide(login, run):
    page = login("manager").get(reverse("backoffice:reconciliation-day", args=["2026-11-30"]))
    body = page.content.decode()
    assert "¥0.74" in body and "Net settlement" in body
    assert "Queried WeChat and recorded the payment" in body  # the resolved one
    assert "WeChat booked another amount" in body and "Mark resolved" in body  # the open one
    assert "¥7.00" in body and "¥8.00" in body


def test_staff_resolve_an_open_discrepancy_with_a_note(login, run, staff):
    client = login("manager")
    open_one = run.discrepancies.get(is_open=True)
    url = reverse("backoffice:discrepancy-resolve", args=[open_one.pk])
    assert client.post(url, {"note": ""}).status_code == 302
    assert Discrepancy.objects.get(pk=open_one.pk).is_open  # no note, nothing closed
    client.post(url, {"note": "customer refunded 1 yuan by hand"})
    open_one.refresh_from_db()
    run.refresh_from_db()
    assert (open_one.is_open, open_one.resolved_by, open_one.staff_note) == (
        False,
        staff["manager"],
        "customer refunded 1 yuan by hand",
    )
    assert run.state == "matched"
    assert "reconciliation-alert" not in client.get(reverse("backoffice:dashboard")).content.decode()


def test_dashboard_links_to_days_with_open_discrepancies(login, run):
    body = login("manager").get(reverse("backoffice:dashboard")).content.decode()
    assert 'id="reconciliation-alert"' in body
    assert reverse("backoffice:reconciliation-day", args=["2026-11-30"]) in body


def test_cashiers_may_not_see_or_resolve(login, run):
    client = login("cashier")
    assert client.get(reverse("backoffice:reconciliation")).status_code == 403
    assert client.get(reverse("backoffice:reconciliation-day", args=["2026-11-30"])).status_code == 403
    pk = run.discrepancies.get(is_open=True).pk
    assert client.post(reverse("backoffice:discrepancy-resolve", args=[pk]), {"note": "x"}).status_code == 403
    assert Discrepancy.objects.get(pk=pk).is_open
    assert "reconciliation-alert" not in client.get(reverse("backoffice:orders")).content.decode()


def test_unknown_day_is_404(login, run):
    client = login("owner")
    assert client.get(reverse("backoffice:reconciliation-day", args=["2026-01-01"])).status_code == 404
    assert client.get(reverse("backoffice:reconciliation-day", args=["not-a-day"])).status_code == 404


def test_dashboard_shows_the_fee_and_net_of_reconciled_days(login, shop, run):
    ReconciliationRun.objects.filter(day=date(2026, 11, 29)).update(fee_fen=26, net_fen=1000)
    ReconciliationRun.objects.create(day=date(2026, 11, 28), state="not_available", checked_at=timezone.now())
    client = login("manager")
    response = client.get(reverse("backoffice:dashboard"), {"days": 90})
    settlement = response.context["settlement"]
    assert (settlement.days, settlement.fee_fen, settlement.net_fen) == (2, 74 + 26, 11971 + 1000)
    assert 'data-stat="fee"' in response.content.decode() and "¥129.71" in response.content.decode()
    by_store = client.get(reverse("backoffice:dashboard"), {"days": 90, "store": shop.code})
    assert by_store.context["settlement"] is None  # the bills know no store
