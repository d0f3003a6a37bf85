"""The customer's whole journey in one test, to read as a map of the code (README, Architecture).

step                   request                                   code
log in with WeChat     POST /api/v1/auth/wechat/login            accounts/views.py -> accounts/services.py
photo -> cart          POST /api/v1/checkout/recognize           checkout/views.py -> checkout/tasks.py ->
                                                                 recognition/runtime.py + gallery/live.py ->
                                                                 checkout/services.py (prices from the catalog)
fix the cart           POST /api/v1/checkout/recognitions/{id}/lines   checkout/services.py
cart -> order          POST /api/v1/orders                       checkout/views.py -> orders/services.py
pay                    POST /api/v1/orders/{id}/pay              checkout/views.py -> payments/paying.py
WeChat says "paid"     POST /api/v1/payments/wechat/notify       payments/views.py -> payments/notifications.py ->
                                                                 payments/paying.py -> orders/actions.py
paid receipt           GET /api/v1/orders/{id}                   orders/views.py + orders/serializers.py

WeChat (login and Pay) is the local fake speaking WeChat's protocol; it delivers its signed,
encrypted notification over HTTP to this test's live server, as WeChat would to ours.
"""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from tests.recognition.conftest import encode, scene

pytestmark = pytest.mark.django_db(transaction=True)


def photo(data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = "basket.png"
    return upload


def test_photo_to_cart_to_order_to_paid_receipt(eager, gallery_products, wechat, live_server, settings):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/notify"
    customer = APIClient()

    # Log in: the mini-program's wx.login() code becomes our access token.
    login = customer.post("/api/v1/auth/wechat/login", {"code": "journey-1"}, format="json")
    assert login.status_code == 200, login.content
    customer.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    # Photo -> cart: two of A and one B recognised and priced by the server; C has no photo.
    cart = customer.post("/api/v1/checkout/recognize", {"image": photo(encode(scene()))}, format="multipart")
    assert cart.status_code == 200, cart.content
    cart = cart.json()
    assert {line["sku"]: line["quantity"] for line in cart["lines"]} == {"SKU-A": 2, "SKU-B": 1}
    assert cart["total_fen"] == 2 * 350 + 1200 and len(cart["unknown"]) == 1

    # The customer adds the item the camera did not know (by SKU); the server reprices the cart.
    Product.objects.create(sku="SKU-C", name="Item C", price_fen=500, stock=5)
    fixed = customer.post(f"/api/v1/checkout/recognitions/{cart['id']}/lines", {"sku": "SKU-C"}, format="json")
    assert fixed.status_code == 200, fixed.content
    assert fixed.json()["total_fen"] == 1900 + 500

    # Cart -> order: lines name SKUs and quantities only; prices and stock are the server's.
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in fixed.json()["lines"]]
    order = customer.post("/api/v1/orders", {"recognition": cart["id"], "lines": lines}, format="json")
    assert order.status_code == 201, order.content
    order = order.json()
    assert order["status"] == "created" and order["total_fen"] == 2400 and order["receipt"] is None
    assert Product.objects.get(sku="SKU-A").stock == 20 - 2  # reserved

    # Pay: WeChat Pay JSAPI parameters for wx.requestPayment.
    pay = customer.post(f"/api/v1/orders/{order['id']}/pay")
    assert pay.status_code == 200, pay.content
    assert pay.json()["package"].startswith("prepay_id=")

    # The customer pays in WeChat; WeChat notifies our server (signed and encrypted), which answers 204.
    assert wechat.complete_payment(order["id"].replace("-", "")) == 204

    # The paid receipt.
    paid = customer.get(f"/api/v1/orders/{order['id']}").json()
    assert paid["status"] == "paid"
    assert paid["receipt"]["total_fen"] == 2400 and paid["receipt"]["net_fen"] == 2400
    assert paid["receipt"]["transaction_id"] == wechat.transactions[order["id"].replace("-", "")].transaction_id
