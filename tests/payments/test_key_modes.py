"""Both verification modes: platform certificates (downloaded, decrypted, kept, renewed) and the
public key, each message verified with the key its Wechatpay-Serial names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from orders.models import Order
from payments.models import PlatformCertificate
from payments.platform_keys import DOWNLOAD_THROTTLE_KEY, certificate_status
from tests.wechat_fixtures import MCH_ID, post_notification
from wechat_fake import crypto
from wechat_fake.certificates import make_certificate

pytestmark = pytest.mark.django_db
NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"
CERTIFICATES = ("GET", "/v3/certificates")


@pytest.fixture
def certificate_mode(wechat, settings):
    """A merchant that verifies with platform certificates only (no public key configured)."""
    certificate = wechat.add_certificate()
    wechat.sign_with(certificate.serial_no)
    settings.WECHATPAY_KEY_MODES = ["certificate"]
    settings.WECHATPAY_PUBLIC_KEY_FILE = ""
    settings.WECHATPAY_PUBLIC_KEY_ID = ""
    return certificate


def downloads(fake) -> int:
    return sum(1 for method, path in fake.requests if (method, path) == CERTIFICATES)


def a_minute_later() -> None:
    """The on-demand download throttle (WECHATPAY_CERTIFICATE_MIN_DOWNLOAD_SECONDS) has passed."""
    cache.delete(DOWNLOAD_THROTTLE_KEY)


def order_and_pay(api) -> Order:
    response = api.post("/api/v1/orders", {"lines": [{"sku": "SC0001", "quantity": 2}]}, format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    pay = api.post(f"/api/v1/orders/{order.pk}/pay")
    assert pay.status_code == 200, pay.content
    return order


def forged(notification, serial: str, private_key):
    """The notification re-signed by someone else's key, naming its serial."""
    headers, body = notification
    message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body}\n"
    return {**headers, "Wechatpay-Serial": serial, "Wechatpay-Signature": crypto.sign(private_key, message)}, body


def test_certificate_mode_pays_and_refunds(api, staff_api, products, store, wechat, certificate_mode, client):
    order = order_and_pay(api)  # the prepay answer names a serial we have not seen: download, verify
    assert downloads(wechat) == 1
    stored = PlatformCertificate.objects.get()
    assert stored.serial_no == certificate_mode.serial_no and stored.certificate_pem == certificate_mode.pem
    assert stored.expires_at == certificate_mode.not_after.replace(microsecond=0)

    wechat.complete_payment(order.pk.hex, notify=False)
    note = wechat.payment_notification(order.pk.hex)
    assert note[0]["Wechatpay-Serial"] == certificate_mode.serial_no
    assert post_notification(client, NOTIFY, note).status_code == 204
    order.refresh_from_db()
    assert order.status == "paid"

    refund = staff_api.post(f"/api/v1/orders/{order.pk}/refunds", {"amount_fen": 700}, format="json")
    assert refund.status_code == 201, refund.content
    out_refund_no = refund.json()["out_refund_no"]
    wechat.settle_refund(out_refund_no, notify=False)
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification(out_refund_no)).status_code == 204
    order.refresh_from_db()
    assert order.status == "refunded" and order.refunded_fen == 700
    assert downloads(wechat) == 1  # every later message was verified with the stored certificate


def test_the_certificate_download_is_verified_and_decrypted(api, products, store, wechat, certificate_mode, settings):
    wechat.sign_with(wechat.platform_public_key_id)  # signed by a key this merchant does not hold
    assert api.post("/api/v1/orders", {"lines": [{"sku": "SC0001", "quantity": 1}]}, format="json").status_code == 201
    order = Order.objects.get()
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 503
    assert downloads(wechat) == 1 and not PlatformCertificate.objects.exists()

    wechat.sign_with(certificate_mode.serial_no)
    settings.WECHATPAY_APIV3_KEY = "a-different-32-byte-api-v3-key!!"  # cannot decrypt WeChat's certificates
    a_minute_later()
    assert api.post(f"/api/v1/orders/{order.pk}/pay").status_code == 503
    assert downloads(wechat) == 2 and not PlatformCertificate.objects.exists()


def test_a_migrating_merchant_accepts_both_keys(api, staff_api, products, store, wechat, settings, client):
    certificate = wechat.add_certificate()
    settings.WECHATPAY_KEY_MODES = ["public_key", "certificate"]
    order = order_and_pay(api)  # answered under the public key: nothing to download
    assert downloads(wechat) == 0
    wechat.complete_payment(order.pk.hex, notify=False)
    by_public_key = wechat.payment_notification(order.pk.hex)
    assert by_public_key[0]["Wechatpay-Serial"] == wechat.platform_public_key_id
    assert post_notification(client, NOTIFY, by_public_key).status_code == 204

    wechat.sign_with(certificate.serial_no)  # WeChat switches for a while
    by_certificate = wechat.payment_notification(order.pk.hex)
    assert post_notification(client, NOTIFY, by_certificate).status_code == 204  # a duplicate, verified
    refund = staff_api.post(f"/api/v1/orders/{order.pk}/refunds", {"amount_fen": 350}, format="json")
    assert refund.status_code == 201, refund.content  # the refund answer, signed by the certificate
    out_refund_no = refund.json()["out_refund_no"]
    wechat.settle_refund(out_refund_no, notify=False)
    wechat.sign_with(wechat.platform_public_key_id)  # and back
    assert post_notification(client, REFUND_NOTIFY, wechat.refund_notification(out_refund_no)).status_code == 204
    order.refresh_from_db()
    assert order.status == "partially_refunded" and order.refunded_fen == 350
    assert downloads(wechat) == 1


def test_public_key_mode_alone_refuses_a_certificate_and_downloads_nothing(api, products, store, wechat, client):
    certificate = wechat.add_certificate()
    order = order_and_pay(api)
    wechat.complete_payment(order.pk.hex, notify=False)
    wechat.sign_with(certificate.serial_no)
    response = post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex))
    assert response.status_code == 400
    assert "key we do not know" in response.json()["error"]["message"]
    assert downloads(wechat) == 0
    order.refresh_from_db()
    assert order.status == "created"


def test_an_unknown_serial_downloads_once_then_is_refused(api, products, store, wechat, certificate_mode, client):
    order = order_and_pay(api)
    wechat.complete_payment(order.pk.hex, notify=False)
    assert downloads(wechat) == 1
    now = datetime.now(UTC)
    stranger = make_certificate(MCH_ID, not_before=now - timedelta(hours=1), not_after=now + timedelta(days=365))
    a_minute_later()
    note = forged(wechat.payment_notification(order.pk.hex), stranger.serial_no, stranger.keys.private_key)
    response = post_notification(client, NOTIFY, note)
    assert response.status_code == 400 and stranger.serial_no in response.json()["error"]["message"]
    assert downloads(wechat) == 2  # looked for it at WeChat once
    for _ in range(3):  # a flood of forged serials: no more downloads within the minute
        other = f"{int(stranger.serial_no, 16) + 1:X}"
        note = forged(wechat.payment_notification(order.pk.hex), other, stranger.keys.private_key)
        assert post_notification(client, NOTIFY, note).status_code == 400
    assert downloads(wechat) == 2
    order.refresh_from_db()
    assert order.status == "created"
    # A genuine notification still passes, with the stored certificate.
    assert post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex)).status_code == 204


def test_rotation_new_certificate_appears_old_one_expires(api, products, store, wechat, settings, client):
    settings.WECHATPAY_KEY_MODES = ["certificate"]
    old = wechat.add_certificate(valid_for=timedelta(hours=30))  # within WECHATPAY_CERTIFICATE_RENEW_HOURS (72)
    wechat.sign_with(old.serial_no)
    order = order_and_pay(api)
    keys = dict(modes=("certificate",), public_key_id="", renew_hours=settings.WECHATPAY_CERTIFICATE_RENEW_HOURS)
    status = certificate_status(**keys)
    assert [c["serial_no"] for c in status["certificates"]] == [old.serial_no]
    assert status["ok"] is False and old.serial_no in status["warnings"][0]  # near expiry, nothing newer

    new = wechat.add_certificate()  # WeChat issues the next certificate before the old one expires
    a_minute_later()
    wechat.complete_payment(order.pk.hex, notify=False)
    assert post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex)).status_code == 204
    assert downloads(wechat) == 2  # renewal on demand: the old one was near its end
    assert set(PlatformCertificate.objects.values_list("serial_no", flat=True)) == {old.serial_no, new.serial_no}
    status = certificate_status(**keys)
    assert status["ok"] is True and status["warnings"] == []

    wechat.sign_with(new.serial_no)  # WeChat switches to the new certificate: known already
    assert post_notification(client, NOTIFY, wechat.payment_notification(order.pk.hex)).status_code == 204
    assert downloads(wechat) == 2

    # 30 hours later: the old certificate has expired (WeChat no longer lists it).
    PlatformCertificate.objects.filter(serial_no=old.serial_no).update(expires_at=timezone.now() - timedelta(seconds=1))
    wechat.certificates.remove(old)
    a_minute_later()
    note = forged(wechat.payment_notification(order.pk.hex), old.serial_no, old.keys.private_key)
    response = post_notification(client, NOTIFY, note)  # signed with the expired certificate's key
    assert response.status_code == 400 and "key we do not know" in response.json()["error"]["message"]
    status = certificate_status(**keys)
    assert [(c["serial_no"], c["expired"]) for c in status["certificates"]] == [
        (new.serial_no, False),
        (old.serial_no, True),
    ]
    assert status["ok"] is True


def test_the_beat_job_downloads_in_certificate_mode_only(wechat, settings):
    from payments.tasks import refresh_platform_certificates

    assert refresh_platform_certificates() == 0 and downloads(wechat) == 0  # public-key mode
    wechat.sign_with(wechat.add_certificate().serial_no)
    wechat.add_certificate(starts=datetime.now(UTC) + timedelta(days=30))  # listed before it takes effect
    settings.WECHATPAY_KEY_MODES = ["certificate"]
    assert refresh_platform_certificates() == 2
    assert refresh_platform_certificates() == 2 and PlatformCertificate.objects.count() == 2  # kept once


@pytest.mark.django_db(transaction=True)
def test_healthz_shows_certificate_expiry_and_warns(client, wechat, settings):
    body = client.get("/healthz").json()
    assert body["wechatpay"] == {
        "ok": True,
        "modes": ["public_key"],
        "public_key_id": settings.WECHATPAY_PUBLIC_KEY_ID,
        "warnings": [],
    }

    settings.WECHATPAY_KEY_MODES = ["public_key", "certificate"]
    near = wechat.add_certificate(valid_for=timedelta(hours=10))
    wechat.sign_with(near.serial_no)
    from payments.wechatpay import get_gateway

    get_gateway().keys.refresh()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"  # a warning, not an outage
    shown = response.json()["wechatpay"]
    assert shown["ok"] is False and "within 72 h" in shown["warnings"][0]
    assert shown["certificates"][0]["serial_no"] == near.serial_no
    assert shown["certificates"][0]["expires_at"] == near.not_after.replace(microsecond=0).isoformat()
    assert shown["certificates"][0]["hours_left"] in (9, 10) and shown["certificates"][0]["expired"] is False

    PlatformCertificate.objects.update(expires_at=timezone.now() - timedelta(minutes=1))  # ten hours later
    shown = client.get("/healthz").json()["wechatpay"]
    assert shown["certificates"][0]["expired"] is True and shown["certificates"][0]["hours_left"] == 0
    assert shown["ok"] is False and "No valid WeChat Pay platform certificate" in shown["warnings"][0]


def test_the_development_fake_signs_with_a_certificate_when_asked(tmp_path, settings):
    from payments.tasks import refresh_platform_certificates
    from wechat_fake.dev import start_dev_wechat

    dev = start_dev_wechat(tmp_path, "http://127.0.0.1:9", key_mode="both")
    try:
        assert "WECHATPAY_KEY_MODES=public_key,certificate\n" in (tmp_path / "env").read_text()
        for name, value in dev.settings.items():  # as the env file reads (env.list for the modes)
            setattr(settings, name, value.split(",") if name == "WECHATPAY_KEY_MODES" else value)
        assert refresh_platform_certificates() == 1
        assert PlatformCertificate.objects.get().serial_no == dev.fake.signing_serial != dev.fake.platform_public_key_id
    finally:
        dev.stop()
