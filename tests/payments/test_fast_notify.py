"""A notification is answered without calling WeChat: the late payment's refund is a task queued
on commit, sent after the answer, retried while WeChat is down, and never sent twice."""

from __future__ import annotations

import pytest

from orders import actions as order_actions
from orders.models import Order, Refund
from payments import refunds
from payments.tasks import submit_refund, sync_pending_refunds
from tests.wechat_fixtures import post_notification

pytestmark = pytest.mark.django_db
NOTIFY = "/api/v1/payments/wechat/notify"
REFUNDS = "/v3/refund/domestic/refunds"


@pytest.fixture
def closed_then_paid(api, store, products, wechat) -> Order:
    """An order closed (stock released) just as its customer paid at WeChat."""
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0001", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    assert order_actions.close(order)
    wechat.complete_payment(order.pk.hex, notify=False)
    return order


def wechat_calls(fake) -> list[tuple[str, str]]:
    return [(method, path.split("?")[0]) for method, path in fake.requests if path.startswith("/v3/")]


def test_the_notification_is_answered_before_the_refund_is_sent(
    closed_then_paid, wechat, client, django_capture_on_commit_callbacks
):
    order = closed_then_paid
    before = len(wechat_calls(wechat))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex))
    assert response.status_code == 204, response.content
    assert wechat_calls(wechat)[before:] == []  # the request itself called WeChat for nothing
    late = Refund.objects.get(order=order)
    assert late.state == "pending" and not wechat.refunds
    assert len(queued) == 1  # the refund task, queued for after the commit

    queued[0]()  # the commit happened: the task runs (in-process here, a payments worker in production)
    assert wechat_calls(wechat)[before:] == [("POST", REFUNDS)]
    assert wechat.refunds[late.out_refund_no].refund == order.total_fen


def test_wechat_down_the_notify_still_answers_and_the_refund_settles_later(
    closed_then_paid, wechat, client, django_capture_on_commit_callbacks
):
    order = closed_then_paid
    wechat.unavailable.add(REFUNDS)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs, WeChat answers 500
        response = post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex))
    assert response.status_code == 204, response.content
    late = Refund.objects.get(order=order)
    assert late.state == "pending" and not wechat.refunds
    assert ("POST", REFUNDS) in wechat_calls(wechat)  # tried, refused by the outage

    wechat.unavailable.clear()  # WeChat is back: the retry (the task again) sends it
    assert submit_refund.apply(args=[late.pk]).get() == "pending"
    wechat.settle_refund(late.out_refund_no, notify=False)
    assert sync_pending_refunds(older_than_seconds=0) == 1
    late.refresh_from_db()
    order.refresh_from_db()
    assert late.state == "succeeded" and order.status == "closed"
    assert wechat.transactions[order.pk.hex].refunded == order.total_fen


def test_redelivery_and_a_repeated_task_refund_once(
    closed_then_paid, wechat, client, django_capture_on_commit_callbacks
):
    order = closed_then_paid
    for _ in range(2):  # WeChat delivers the notification again (our answer was lost)
        with django_capture_on_commit_callbacks(execute=True):
            assert post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex)).status_code == 204
    late = Refund.objects.get(order=order)
    assert Refund.objects.filter(order=order).count() == 1
    submit_refund.apply(args=[late.pk])  # the task delivered twice (acks_late redelivery)
    wechat.settle_refund(late.out_refund_no, notify=False)
    assert refunds.send_pending_refund(late.pk).state == "succeeded"
    assert refunds.send_pending_refund(late.pk).state == "succeeded"  # settled: nothing sent
    assert wechat.transactions[order.pk.hex].refunded == order.total_fen
    assert [call for call in wechat_calls(wechat) if call == ("POST", REFUNDS)] == [("POST", REFUNDS)] * 3
    order.refresh_from_db()
    assert order.refunded_fen == order.total_fen
