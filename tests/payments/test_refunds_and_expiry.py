"""Staff refunds (full, partial, over-refund, idempotent retry, settling) and closing expired orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import actions as order_actions
from orders.models import Order, Payment, Refund
from orders.services import LineRequest, create_order
from payments import expiry, paying, refunds
from payments.tasks import close_expired_orders
from tests.wechat_fixtures import post_notification

pytestmark = pytest.mark.django_db
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"


@pytest.fixture
def paid(api, store, products, wechat, client) -> Order:
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0002", "quantity": 2}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    wechat.complete_payment(order.pk.hex, notify=False)
    assert post_notification(client, "/api/v1/payments/wechat/notify", wechat.payment_notification(order.pk.hex))
    order.refresh_from_db()
    assert order.status == "paid" and order.total_fen == 1600
    return order


def refund(staff_api, order, **data):
    return staff_api.post(f"/api/v1/orders/{order.pk}/refunds", data, format="json")


def test_partial_then_full_refund_settled_by_notifications(staff_api, paid, wechat, client):
    first = refund(staff_api, paid, amount_fen=600, reason="crushed chips", out_refund_no="R-1")
    assert first.status_code == 201, first.content
    assert first.json()["state"] == "pending" and first.json()["refund_id"]
    assert Refund.objects.get(out_refund_no="R-1").requested_by.username == "staff"  # audit trail
    paid.refresh_from_db()
    assert paid.status == "paid" and paid.refunded_fen == 0  # not settled until WeChat says so

    wechat.settle_refund("R-1", notify=False)
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification("R-1")).status_code == 204
    paid.refresh_from_db()
    assert paid.status == "partially_refunded" and paid.refunded_fen == 600
    # a duplicate notification changes nothing
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification("R-1")).status_code == 204
    paid.refresh_from_db()
    assert paid.refunded_fen == 600

    rest = refund(staff_api, paid, amount_fen=1000, out_refund_no="R-2")
    assert rest.status_code == 201
    wechat.settle_refund("R-2", notify=False)
    refunds.sync_refund(Refund.objects.get(out_refund_no="R-2"))  # settle by query, as the task does
    paid.refresh_from_db()
    assert paid.status == "refunded" and paid.refunded_fen == 1600


def test_over_refund_is_refused(staff_api, paid, wechat):
    assert refund(staff_api, paid, amount_fen=1000).status_code == 201
    response = refund(staff_api, paid, amount_fen=601)  # 1000 pending + 601 > 1600
    assert response.status_code == 400
    assert "At most 600 fen" in response.json()["error"]["message"]
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", [0, -5, "100", 10.5])
def test_refund_amount_must_be_positive_integer_fen(staff_api, paid, wechat, amount):
    assert refund(staff_api, paid, amount_fen=amount).status_code == 400
    assert not Refund.objects.exists()


def test_retry_with_same_out_refund_no_refunds_once(staff_api, paid, wechat):
    assert refund(staff_api, paid, amount_fen=500, out_refund_no="R-same").status_code == 201
    assert refund(staff_api, paid, amount_fen=500, out_refund_no="R-same").status_code == 201
    assert Refund.objects.count() == 1
    assert wechat.transactions[paid.pk.hex].refunded == 500
    conflict = refund(staff_api, paid, amount_fen=700, out_refund_no="R-same")
    assert conflict.status_code == 409


def test_unpaid_order_cannot_be_refunded(staff_api, api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0001", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert refund(staff_api, order, amount_fen=100).status_code == 409


def test_refund_notification_with_wrong_amount_is_refused(staff_api, paid, wechat, client):
    refund(staff_api, paid, amount_fen=600, out_refund_no="R-9")
    wechat.settle_refund("R-9", notify=False)
    note = wechat.refund_notification("R-9", amount={"refund": 1600, "total": 1600})
    response = post_notification(client, REFUND_NOTIFY, note)
    assert response.status_code == 400
    paid.refresh_from_db()
    assert paid.refunded_fen == 0 and Refund.objects.get().state == "pending"


def test_expired_orders_are_closed_and_stock_released(api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 4}]}, format="json")
    unpaid = Order.objects.get(pk=response.json()["id"])
    prepaid_resp = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 3}]}, format="json")
    prepaid = Order.objects.get(pk=prepaid_resp.json()["id"])
    assert api.post(f"/api/v1/orders/{prepaid.pk}/pay").status_code == 200
    fresh_resp = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 1}]}, format="json")
    products["SC0003"].refresh_from_db()
    assert products["SC0003"].stock == 2
    Order.objects.filter(pk__in=[unpaid.pk, prepaid.pk]).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert close_expired_orders() == 2  # the beat task, run in-process
    unpaid.refresh_from_db()
    prepaid.refresh_from_db()
    products["SC0003"].refresh_from_db()
    assert unpaid.status == prepaid.status == "closed"
    assert products["SC0003"].stock == 9
    assert Order.objects.get(pk=fresh_resp.json()["id"]).status == "created"
    assert prepaid.payments.get().state == "closed"
    assert wechat.transactions[prepaid.pk.hex].trade_state == "CLOSED"  # closed at WeChat first
    assert api.post(f"/api/v1/orders/{prepaid.pk}/pay").status_code == 409


def test_expiry_finds_a_last_moment_payment_instead_of_closing(api, store, products, wechat):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    api.post(f"/api/v1/orders/{order.pk}/pay")
    wechat.complete_payment(order.pk.hex, notify=False)  # paid, notification not (yet) delivered
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expiry.close_expired_orders() == 0
    order.refresh_from_db()
    assert order.status == "paid" and order.payments.get().state == Payment.State.SUCCEEDED
    products["SC0003"].refresh_from_db()
    assert products["SC0003"].stock == 9


def test_expiry_waits_when_wechat_is_unreachable(api, store, products, wechat, settings):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    api.post(f"/api/v1/orders/{order.pk}/pay")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    settings.WECHATPAY_BASE_URL = "http://127.0.0.1:9"
    assert expiry.close_expired_orders() == 0
    order.refresh_from_db()
    assert order.status == "created"  # not closed blind: the customer may have paid


def test_refund_lost_on_the_way_is_resubmitted_and_settled_by_the_task(staff_api, paid, wechat, settings):
    from payments.tasks import sync_pending_refunds

    pay_url = settings.WECHATPAY_BASE_URL
    settings.WECHATPAY_BASE_URL = "http://127.0.0.1:9"  # WeChat unreachable while staff refund
    response = refund(staff_api, paid, amount_fen=400, out_refund_no="R-lost")
    assert response.status_code == 503
    assert Refund.objects.get(out_refund_no="R-lost").state == "pending" and "R-lost" not in wechat.refunds
    settings.WECHATPAY_BASE_URL = pay_url
    assert sync_pending_refunds(older_than_seconds=0) == 0  # submitted now, WeChat still processing
    assert wechat.refunds["R-lost"].refund == 400
    wechat.settle_refund("R-lost", notify=False)
    assert sync_pending_refunds(older_than_seconds=0) == 1
    assert sync_pending_refunds(older_than_seconds=0) == 0
    paid.refresh_from_db()
    assert paid.refunded_fen == 400 and paid.status == "partially_refunded"
    assert wechat.transactions[paid.pk.hex].refunded == 400  # submitted once, refunded once


@pytest.fixture
def closed_then_paid(api, store, products, wechat) -> Order:
    """An order closed (stock released) just as its customer paid at WeChat: the expiry race."""

    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0003", "quantity": 2}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    assert order_actions.close(order)
    wechat.complete_payment(order.pk.hex, notify=False)
    return order


def assert_refunded_once_and_still_closed(order, wechat, products):
    order.refresh_from_db()
    payment = order.payments.get()
    assert order.status == "closed" and order.paid_at is None
    assert payment.state == "succeeded"
    late = Refund.objects.get(order=order)
    assert late.out_refund_no == refunds.late_refund_no_for(payment) and late.payment == payment
    assert late.amount_fen == payment.amount_fen == order.total_fen
    assert wechat.transactions[order.pk.hex].refunded == order.total_fen  # refunded in full, once
    products["SC0003"].refresh_from_db()
    assert products["SC0003"].stock == 10  # released by the close, not touched again
    return late


def test_payment_notified_on_a_closed_order_is_refunded_once(
    closed_then_paid, wechat, products, client, django_capture_on_commit_callbacks
):
    order = closed_then_paid
    note = wechat.payment_notification(order.pk.hex)
    with django_capture_on_commit_callbacks(execute=True):  # the refund task, queued on commit
        assert post_notification(client, "/api/v1/payments/wechat/notify", note).status_code == 204
    late = assert_refunded_once_and_still_closed(order, wechat, products)
    assert late.state == "pending"
    # WeChat's retry of the payment notification refunds nothing more
    again = wechat.payment_notification(order.pk.hex)
    assert post_notification(client, "/api/v1/payments/wechat/notify", again).status_code == 204
    assert_refunded_once_and_still_closed(order, wechat, products)

    wechat.settle_refund(late.out_refund_no, notify=False)
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification(late.out_refund_no)).status_code == 204
    late = assert_refunded_once_and_still_closed(order, wechat, products)
    assert late.state == "succeeded" and order.refunded_fen == order.total_fen


def test_payment_found_by_query_on_a_closed_order_is_refunded_once(
    closed_then_paid, api, wechat, products, django_capture_on_commit_callbacks
):
    order = closed_then_paid
    payment = order.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert paying.sync_payment(payment).state == "succeeded"
    assert_refunded_once_and_still_closed(order, wechat, products)
    paying.sync_payment(payment)  # the client's "I paid" again
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 409
    assert_refunded_once_and_still_closed(order, wechat, products)
    wechat.settle_refund(refunds.late_refund_no_for(payment), notify=False)
    refunds.sync_refund(Refund.objects.get(order=order))
    assert assert_refunded_once_and_still_closed(order, wechat, products).state == "succeeded"


def test_late_payment_refund_waits_for_wechat_and_the_task_submits_it(
    closed_then_paid, wechat, products, settings, django_capture_on_commit_callbacks
):
    from payments.tasks import sync_pending_refunds

    order = closed_then_paid
    payment = order.payments.get()
    pay_url = settings.WECHATPAY_BASE_URL
    settings.WECHATPAY_BASE_URL = "http://127.0.0.1:9"  # WeChat unreachable for the refund
    with django_capture_on_commit_callbacks(execute=True):  # the in-process task tries once, logs
        assert paying.confirm_payment(payment, transaction_id="4200000000000000000000000001", paid_at=None)
    assert Refund.objects.get(order=order).state == "pending" and not wechat.refunds
    settings.WECHATPAY_BASE_URL = pay_url
    assert sync_pending_refunds(older_than_seconds=0) == 0  # submitted now
    assert_refunded_once_and_still_closed(order, wechat, products)
    assert not paying.confirm_payment(payment, transaction_id="4200000000000000000000000001", paid_at=None)
    assert Refund.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_expired_unpaid_orders_close_and_release_stock(customer, store, make_product):
    item = make_product(sku="A", stock=4)
    stale = create_order(customer=customer, store=store, lines=[LineRequest("A", 3)])
    fresh = create_order(customer=customer, store=store, lines=[LineRequest("A", 1)])
    Order.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert close_expired_orders() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    item.refresh_from_db()
    assert stale.status == Order.Status.CLOSED and stale.closed_at is not None
    assert fresh.status == Order.Status.CREATED
    assert item.stock == 3
    assert order_actions.close(stale) is False  # closing twice gives nothing back twice
    item.refresh_from_db()
    assert item.stock == 3
