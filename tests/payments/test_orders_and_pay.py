"""Customer orders, prepay against the fake WeChat Pay, notifications and the client's "I paid"."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from orders.models import Order, Payment
from tests.wechat_fixtures import MCH_ID, client_for, post_notification
from wechat_fake import crypto
from wechat_fake.crypto import generate_keypair

pytestmark = pytest.mark.django_db
NOTIFY = "/api/v1/payments/wechat/notify"


def order_cart(api, lines=None):
    lines = lines or [{"sku": "SC0001", "quantity": 2}, {"sku": "SC0002", "quantity": 1}]
    return api.post("/api/v1/orders", {"lines": lines}, format="json")


@pytest.fixture
def order(api, store, products):
    response = order_cart(api)
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


@pytest.fixture
def prepaid(api, order, wechat) -> Order:
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 200
    return order


def test_order_is_priced_by_the_server_and_reserves_stock(api, store, products):
    response = order_cart(api, [{"sku": "SC0001", "quantity": 2, "unit_price_fen": 1}])
    assert response.status_code == 201
    body = response.json()
    assert body["total_fen"] == 700 and body["lines"][0]["unit_price_fen"] == 350
    assert body["status"] == "created" and body["receipt"] is None
    products["SC0001"].refresh_from_db()
    assert products["SC0001"].stock == 8


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ([], 400),
        ([{"sku": "SC0001", "quantity": 0}], 400),
        ([{"sku": "SC0001", "quantity": "2"}], 400),
        ([{"sku": "SC0001", "quantity": 1.5}], 400),
        ([{"sku": "NOPE", "quantity": 1}], 400),
        ([{"sku": "SC0001", "quantity": 11}], 409),
    ],
)
def test_bad_orders_are_refused_and_change_nothing(api, store, products, lines, status):
    response = api.post("/api/v1/orders", {"lines": lines}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["fields"]
    assert not Order.objects.exists()
    products["SC0001"].refresh_from_db()
    assert products["SC0001"].stock == 10


def test_customers_see_only_their_own_orders(order, other_customer, staff_api):
    other = client_for(other_customer)
    assert other.get("/api/v1/orders").json()["count"] == 0
    assert other.get(f"/api/v1/orders/{order.pk}").status_code == 404
    assert other.post(f"/api/v1/orders/{order.pk}/pay").status_code == 404
    assert staff_api.get("/api/v1/orders").json()["count"] == 1
    anonymous = APIClient()
    assert anonymous.get("/api/v1/orders").status_code in (401, 403)


def test_customers_cannot_refund(api, order):
    assert api.post(f"/api/v1/orders/{order.pk}/refunds", {"amount_fen": 100}, format="json").status_code == 403


def test_pay_returns_signed_jsapi_params(api, order, wechat, merchant_keys):
    response = api.post(f"/api/v1/orders/{order.pk}/pay")
    assert response.status_code == 200, response.content
    params = response.json()
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == wechat.app_id and params["signType"] == "RSA"
    tx = wechat.transactions[order.pk.hex]
    assert params["package"] == f"prepay_id={tx.prepay_id}"
    assert tx.total == 1500 and tx.openid == "o-alice-openid" and tx.time_expire
    message = "\n".join([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]) + "\n"
    assert crypto.verify(merchant_keys.public_key, message, params["paySign"])
    # Paying again is the same WeChat order (same prepay id): never a second charge.
    again = api.post(f"/api/v1/orders/{order.pk}/pay").json()
    assert again["package"] == params["package"]
    assert Payment.objects.filter(order=order).count() == 1


def test_notification_marks_paid_once_and_duplicates_are_harmless(api, prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    first = post_notification(client, NOTIFY, wechat.payment_notification(prepaid.pk.hex))
    assert first.status_code == 204, first.content
    prepaid.refresh_from_db()
    payment = prepaid.payments.get()
    assert prepaid.status == "paid" and prepaid.paid_at and payment.state == "succeeded"
    assert payment.transaction_id == wechat.transactions[prepaid.pk.hex].transaction_id
    duplicate = post_notification(client, NOTIFY, wechat.payment_notification(prepaid.pk.hex))
    assert duplicate.status_code == 204
    receipt = api.get(f"/api/v1/orders/{prepaid.pk}").json()["receipt"]
    assert receipt == {
        "store": "Demo Store",
        "paid_at": receipt["paid_at"],
        "transaction_id": payment.transaction_id,
        "total_fen": 1500,
        "refunded_fen": 0,
        "net_fen": 1500,
    }
    assert api.post(f"/api/v1/orders/{prepaid.pk}/pay").status_code == 409


def _assert_refused(response, prepaid, text):
    assert response.status_code == 400, response.content
    assert text in response.json()["error"]["message"]
    prepaid.refresh_from_db()
    assert prepaid.status == "created" and prepaid.payments.get().state == "pending"


def test_forged_signature_is_refused(prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    headers, body = wechat.payment_notification(prepaid.pk.hex)
    forger = generate_keypair()
    headers["Wechatpay-Signature"] = crypto.sign(
        forger.private_key, f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body}\n"
    )
    _assert_refused(post_notification(client, NOTIFY, (headers, body)), prepaid, "Signature verification failed")


def test_tampered_body_is_refused(prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    headers, body = wechat.payment_notification(prepaid.pk.hex)
    tampered = body.replace('"summary": "', '"summary": "x')
    _assert_refused(post_notification(client, NOTIFY, (headers, tampered)), prepaid, "Signature verification failed")


def test_stale_timestamp_is_refused(prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    resource = wechat.transactions[prepaid.pk.hex].as_query()
    stale = wechat.notification("TRANSACTION.SUCCESS", "transaction", resource, timestamp=int(time.time()) - 3600)
    _assert_refused(post_notification(client, NOTIFY, stale), prepaid, "stale or replayed")


def test_replayed_notification_is_refused_but_state_stays_right(prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    note = wechat.payment_notification(prepaid.pk.hex)
    assert post_notification(client, NOTIFY, note).status_code == 204
    replay = post_notification(client, NOTIFY, note)
    assert replay.status_code == 400 and "replay" in replay.json()["error"]["message"]
    prepaid.refresh_from_db()
    assert prepaid.status == "paid"


@pytest.mark.parametrize(
    ("override", "text"),
    [
        ({"amount": {"total": 1, "currency": "CNY"}}, "amount 1 fen"),
        ({"appid": "wx-someone-else"}, "appid"),
        ({"mchid": "1999999999"}, "mchid"),
        ({"out_trade_no": "0" * 32}, "Unknown out_trade_no"),
    ],
)
def test_mismatched_notifications_are_refused(prepaid, wechat, client, override, text):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    _assert_refused(
        post_notification(client, NOTIFY, wechat.payment_notification(prepaid.pk.hex, **override)), prepaid, text
    )


def test_wrong_apiv3_key_cannot_be_decrypted(prepaid, wechat, client):
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    resource = wechat.transactions[prepaid.pk.hex].as_query()
    note = wechat.notification("TRANSACTION.SUCCESS", "transaction", resource, apiv3_key="k" * 32)
    _assert_refused(post_notification(client, NOTIFY, note), prepaid, "Decryption failed")


def test_missing_headers_are_refused(prepaid, client):
    response = client.post(NOTIFY, "{}", content_type="application/json")
    _assert_refused(response, prepaid, "Missing Wechatpay-Signature")


def test_client_reported_success_only_triggers_a_query(api, prepaid, wechat):
    # Not paid at WeChat: the client's claim changes nothing.
    response = api.post(f"/api/v1/orders/{prepaid.pk}/check-payment")
    assert response.status_code == 200 and response.json()["status"] == "created"
    queries = [p for m, p in wechat.requests if m == "GET" and p.startswith("/v3/pay/transactions/out-trade-no/")]
    assert queries == [f"/v3/pay/transactions/out-trade-no/{prepaid.pk.hex}?mchid={MCH_ID}"]
    # Paid at WeChat but the notification is late: the query finds it.
    wechat.complete_payment(prepaid.pk.hex, notify=False)
    response = api.post(f"/api/v1/orders/{prepaid.pk}/check-payment")
    assert response.json()["status"] == "paid"
    assert response.json()["payments"][0]["transaction_id"] == wechat.transactions[prepaid.pk.hex].transaction_id


def test_payment_service_down_is_503_and_nothing_changes(api, order, wechat, settings):
    settings.WECHATPAY_BASE_URL = "http://127.0.0.1:9"
    response = api.post(f"/api/v1/orders/{order.pk}/pay")
    assert response.status_code == 503 and response.json()["error"]["code"] == "payment_unavailable"
    order.refresh_from_db()
    assert order.status == "created"


def test_response_signed_by_someone_else_is_not_trusted(api, order, wechat):
    wechat.platform_keys = generate_keypair()  # the "WeChat" answering is not the one whose key we hold
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 503


def test_the_fake_pays_a_prepay_id_as_the_wechat_app_does(api, order, wechat):
    """``wx.requestPayment`` only knows the package's prepay_id: the fake completes the order it belongs to."""
    import requests

    params = api.post(f"/api/v1/orders/{order.pk}/pay").json()
    prepay_id = params["package"].removeprefix("prepay_id=")
    answer = requests.post(f"{wechat.base_url}/_fake/prepay/{prepay_id}/pay", timeout=10)
    assert answer.status_code == 200 and answer.json()["out_trade_no"] == order.pk.hex
    assert wechat.transactions[order.pk.hex].trade_state == "SUCCESS"
    assert requests.post(f"{wechat.base_url}/_fake/prepay/wx-unknown/pay", timeout=10).status_code == 404
