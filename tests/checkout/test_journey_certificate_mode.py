"""A merchant verifying WeChat Pay with platform certificates (not the public key) walks the whole
journey: log in, photo -> cart, order, pay, WeChat's notification, paid, a staff refund and its
notification.  Every WeChat Pay answer and notification is verified with the downloaded
certificate; the fake delivers its notifications over HTTP to this test's live server."""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from payments.models import PlatformCertificate
from tests.recognition.conftest import encode, scene

pytestmark = pytest.mark.django_db(transaction=True)


def photo(data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = "basket.png"
    return upload


def test_certificate_mode_pays_and_refunds_end_to_end(
    eager, gallery_products, wechat, live_server, settings, django_user_model
):
    certificate = wechat.add_certificate()
    wechat.sign_with(certificate.serial_no)
    settings.WECHATPAY_KEY_MODES = ["certificate"]
    settings.WECHATPAY_PUBLIC_KEY_FILE = settings.WECHATPAY_PUBLIC_KEY_ID = ""
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/notify"
    settings.WECHATPAY_REFUND_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/refund-notify"
    customer = APIClient()

    login = customer.post("/api/v1/auth/wechat/login", {"code": "certs-1"}, format="json")
    assert login.status_code == 200, login.content
    customer.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    cart = customer.post("/api/v1/checkout/recognize", {"image": photo(encode(scene()))}, format="multipart")
    assert cart.status_code == 200, cart.content
    cart = cart.json()
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in cart["lines"]]
    order = customer.post("/api/v1/orders", {"recognition": cart["id"], "lines": lines}, format="json")
    assert order.status_code == 201, order.content
    order = order.json()
    assert order["total_fen"] == 2 * 350 + 1200

    pay = customer.post(f"/api/v1/orders/{order['id']}/pay")
    assert pay.status_code == 200, pay.content  # the prepay answer, verified with the downloaded certificate
    assert list(PlatformCertificate.objects.values_list("serial_no", flat=True)) == [certificate.serial_no]

    out_trade_no = order["id"].replace("-", "")
    assert wechat.complete_payment(out_trade_no) == 204  # signed by the certificate, delivered to us
    paid = customer.get(f"/api/v1/orders/{order['id']}").json()
    assert paid["status"] == "paid" and paid["receipt"]["total_fen"] == 1900

    staff = APIClient()
    staff.force_authenticate(django_user_model.objects.create_user("cashier", password="pw-cashier-1", is_staff=True))
    refund = staff.post(f"/api/v1/orders/{order['id']}/refunds", {"amount_fen": 1900}, format="json")
    assert refund.status_code == 201, refund.content
    assert wechat.settle_refund(refund.json()["out_refund_no"]) == 204  # the refund notification
    refunded = customer.get(f"/api/v1/orders/{order['id']}").json()
    assert refunded["status"] == "refunded" and refunded["receipt"]["net_fen"] == 0
    downloads = [call for call in wechat.requests if call == ("GET", "/v3/certificates")]
    assert len(downloads) == 1  # downloaded once, kept in the database for every later message
