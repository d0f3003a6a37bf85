"""Integration: real Redis, PostgreSQL and a Celery worker on the ``payments`` queue.

A late payment's notification is answered while WeChat's refund endpoint is down; the worker's
task is refused, retried with backoff, and sends the refund once WeChat is back.
"""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from gallery.bench import start_workers, stop_workers
from orders import actions as order_actions
from orders.models import Order, Refund
from payments.tasks import submit_refund
from tests.faults.harness import wait_until
from tests.wechat_fixtures import post_notification

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"
REFUNDS = ("POST", "/v3/refund/domestic/refunds")
WECHAT_SETTINGS = [
    "WECHAT_APP_ID",
    "WECHATPAY_BASE_URL",
    "WECHATPAY_MCH_ID",
    "WECHATPAY_MCH_CERT_SERIAL_NO",
    "WECHATPAY_MCH_PRIVATE_KEY_FILE",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PUBLIC_KEY_FILE",
    "WECHATPAY_PUBLIC_KEY_ID",
    "WECHATPAY_NOTIFY_URL",
    "WECHATPAY_REFUND_NOTIFY_URL",
]


@pytest.fixture
def payments_worker(wechat, settings, tmp_path):
    """A payments worker on this test database, talking to the fake, retrying after 1 s, 2 s, 4 s ..."""
    if not django_settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and a PostgreSQL DATABASE_URL (the worker process shares them)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smart_container.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SC_VAR_DIR": str(tmp_path / "var"),
        "WECHATPAY_TASK_RETRY_SECONDS": "1",
        "WECHATPAY_TASK_RETRY_MAX_SECONDS": "4",
        **{name: str(getattr(settings, name)) for name in WECHAT_SETTINGS},
    }
    redis.Redis.from_url(settings.REDIS_URL).delete("payments")  # nothing left over from an earlier run
    conf = submit_refund.app.conf
    conf.CELERY_TASK_ALWAYS_EAGER = False  # really send the task (the payments conftest restores it)
    procs = start_workers(tmp_path, env=env, prefix="test", timeout=90, queues=("payments",))
    yield
    stop_workers(procs)


def test_wechat_down_the_notify_answers_and_the_worker_refunds_once_it_is_back(
    payments_worker, api, store, products, wechat, client
):
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0002", "quantity": 1}]}, format="json")
    order = Order.objects.get(pk=response.json()["id"])
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    assert order_actions.close(order)
    wechat.complete_payment(order.pk.hex, notify=False)
    wechat.unavailable.add(REFUNDS[1])  # WeChat's refund endpoint answers 500

    response = post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex))
    assert response.status_code == 204, response.content
    late = Refund.objects.get(order=order)
    assert late.state == "pending"

    wait_until(lambda: wechat.requests.count(REFUNDS) >= 2, 30, "the worker trying and retrying the refund")
    assert not wechat.refunds  # refused each time: nothing refunded yet
    wechat.unavailable.clear()
    wait_until(lambda: late.out_refund_no in wechat.refunds, 30, "the retried task sending the refund")
    wechat.settle_refund(late.out_refund_no, notify=False)
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification(late.out_refund_no)).status_code == 204

    late.refresh_from_db()
    order.refresh_from_db()
    assert late.state == "succeeded" and order.status == "closed" and order.refunded_fen == order.total_fen
    assert wechat.transactions[order.pk.hex].refunded == order.total_fen  # refunded once
    assert Refund.objects.filter(order=order).count() == 1
