"""Orders pages: filters, the receipt, CSV export, refunds through WeChat Pay (fake server)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from orders.models import Order, Refund
from orders.services import LineRequest, create_order
from payments import paying, refunds
from reports.queries import local_today
from tests.backoffice.conftest import local, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(shop, customer):
    today = local_today()
    yesterday = today - timedelta(days=1)
    return {
        "old": paid_order(
            shop, customer, {"COLA": 2, "CHIPS": 1}, local(yesterday.year, yesterday.month, yesterday.day, 10)
        ),
        "new": paid_order(shop, customer, {"TEA": 1}, local(today.year, today.month, today.day, 0, 30)),
        "open": create_order(customer=customer, store=shop, lines=[LineRequest("COLA", 1)]),
    }


def listed(client, **params) -> list:
    return list(client.get(reverse("backoffice:orders"), params).context["page_obj"].object_list)


def test_order_list_filters(login, orders):
    client = login("cashier")
    assert {o.pk for o in listed(client)} == {o.pk for o in orders.values()}
    assert [o.pk for o in listed(client, status="created")] == [orders["open"].pk]
    assert {o.pk for o in listed(client, q="CHIPS")} == {orders["old"].pk}
    assert [o.pk for o in listed(client, q=str(orders["new"].pk))] == [orders["new"].pk]
    transaction_id = orders["old"].payments.get().transaction_id
    assert [o.pk for o in listed(client, q=transaction_id)] == [orders["old"].pk]


def test_receipt_shows_lines_and_total(login, orders):
    page = login("cashier").get(reverse("backoffice:order", args=[orders["old"].pk])).content.decode()
    assert "Cola 330ml" in page and "Potato chips" in page
    assert "data-total>¥15.00<" in page
    assert 'id="refund-form"' not in page  # cashiers cannot refund


def test_csv_export_streams_every_matching_order(login, orders):
    response = login("manager").get(reverse("backoffice:orders-export"), {"status": "paid"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["order_id"] for r in rows} == {str(orders["old"].pk), str(orders["new"].pk)}
    old = next(r for r in rows if r["order_id"] == str(orders["old"].pk))
    assert old["total_yuan"] == "15.00" and old["items"] == "3" and old["net_yuan"] == "15.00"
    assert old["lines"] == "1xCHIPS; 2xCOLA" and old["store"] == "s1"
    assert old["transaction_id"] == orders["old"].payments.get().transaction_id
    assert old["paid_at"].endswith("10:00:00")  # local time
    assert login("cashier").get(reverse("backoffice:orders-export")).status_code == 403


def test_refund_goes_to_wechat_pay_and_settles(login, shop, customer, wechat):
    order = create_order(customer=customer, store=shop, lines=[LineRequest("COLA", 2)])
    paying.start_payment(order)
    payment = order.payments.get()
    wechat.complete_payment(payment.out_trade_no, notify=False)
    paying.sync_payment(payment)
    client = login("manager")
    page = client.get(reverse("backoffice:order", args=[order.pk])).content.decode()
    assert 'id="refund-form"' in page

    response = client.post(reverse("backoffice:order-refund", args=[order.pk]), {"amount": "3.50", "reason": "damaged"})
    assert response.status_code == 302
    refund = Refund.objects.get(order=order)
    assert (refund.amount_fen, refund.reason, refund.state) == (350, "damaged", "pending")
    assert refund.requested_by.username == "manager"  # the audit log names who refunded
    wechat.settle_refund(refund.out_refund_no, notify=False)
    refunds.sync_refund(refund)
    order.refresh_from_db()
    assert (order.status, order.refunded_fen) == (Order.Status.PARTIALLY_REFUNDED, 350)

    too_much = client.post(reverse("backoffice:order-refund", args=[order.pk]), {"amount": "3.51"})
    assert too_much.status_code == 400 and "At most 350 fen" in too_much.content.decode()
    assert Refund.objects.filter(order=order).count() == 1


def test_refund_of_an_unpaid_order_is_refused(login, orders):
    response = login("owner").post(reverse("backoffice:order-refund", args=[orders["open"].pk]), {"amount": "1.00"})
    assert response.status_code == 400 and "only paid orders can be refunded" in response.content.decode()
    assert not Refund.objects.exists()


def test_cashier_cannot_refund(login, orders):
    response = login("cashier").post(reverse("backoffice:order-refund", args=[orders["old"].pk]), {"amount": "1.00"})
    assert response.status_code == 403 and not Refund.objects.exists()


def test_date_filter_uses_the_stores_day_in_the_list_and_the_export(settings, login, shop, customer):
    """``date_from``/``date_to`` are REPORTS_TIME_ZONE days on both pages, even when the export's
    rows are fetched after the view returned (outside the page's time zone override)."""
    settings.REPORTS_TIME_ZONE = "America/New_York"  # not TIME_ZONE (Asia/Shanghai)
    order = create_order(customer=customer, store=shop, lines=[LineRequest("COLA", 1)])
    # 02:00 UTC on 10 March: the evening of 9 March in New York, already 10 March in Shanghai.
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    client = login("manager")
    for day, expected in (("2026-03-09", [order.pk]), ("2026-03-10", [])):
        params = {"date_from": day, "date_to": day}
        assert [o.pk for o in listed(client, **params)] == expected
        response = client.get(reverse("backoffice:orders-export"), params)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert [r["order_id"] for r in csv.DictReader(io.StringIO(body))] == [str(pk) for pk in expected]


def test_a_refund_form_sent_twice_refunds_once(login, shop, customer, wechat):
    """The form carries its own out_refund_no, so a double click or a resent POST is one refund."""
    order = create_order(customer=customer, store=shop, lines=[LineRequest("COLA", 2)])
    paying.start_payment(order)
    payment = order.payments.get()
    wechat.complete_payment(payment.out_trade_no, notify=False)
    paying.sync_payment(payment)
    client = login("manager")
    form = client.get(reverse("backoffice:order", args=[order.pk])).context["refund_form"]
    key = form.initial["out_refund_no"]
    assert f'name="out_refund_no" value="{key}"' in form.as_div()
    data = {"amount": "2.00", "reason": "damaged", "out_refund_no": key}
    for _ in range(2):
        assert client.post(reverse("backoffice:order-refund", args=[order.pk]), data).status_code == 302
    assert list(Refund.objects.filter(order=order).values_list("out_refund_no", "amount_fen")) == [(key, 200)]

    forged = client.post(reverse("backoffice:order-refund", args=[order.pk]), {**data, "out_refund_no": "x" * 65})
    assert forged.status_code == 400 and Refund.objects.filter(order=order).count() == 1


def test_a_refused_refund_can_be_tried_again_from_the_page(login, orders):
    """After an error the re-shown form has a new out_refund_no: the next try is a new refund."""
    client = login("owner")
    data = {"amount": "1.00", "out_refund_no": "RFfirst"}
    response = client.post(reverse("backoffice:order-refund", args=[orders["open"].pk]), data)
    assert response.status_code == 400 and "only paid orders can be refunded" in response.content.decode()
    assert response.context["refund_form"]["out_refund_no"].value() not in ("", "RFfirst")
