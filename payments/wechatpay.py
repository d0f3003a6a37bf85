"""WeChat Pay API v3 (JSAPI / mini-program) behind our PaymentGateway, built on wechatpayv3.

Answers and notifications are verified with the key their ``Wechatpay-Serial`` names: the
WeChat Pay public key, a platform certificate, or either while a merchant migrates
(``payments.platform_keys``, ``WECHATPAY_KEY_MODES``).  The base URL is configurable so tests
and development talk to the local fake (``wechat_fake``).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.utils import aes_decrypt, load_private_key, rsa_verify

from .gateway import (
    BillLink,
    GatewayRejected,
    GatewayUnavailable,
    Notification,
    NotificationRejected,
    RefundState,
    TransactionState,
)
from .platform_keys import PUBLIC_KEY, CertificateSource, PlatformKeys

logger = logging.getLogger(__name__)
CHINA = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
NOTIFY_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def _fen(amount: Any, key: str) -> int:
    """A fen amount exactly as sent: a JSON integer; 14180.9 or "14180" is refused, never truncated.

    An absent amount is -1, which no payment or refund matches.
    """
    value = amount.get(key, -1) if isinstance(amount, dict) else None
    if type(value) is not int:
        raise NotificationRejected(fields={"resource": [f"amount.{key} must be a JSON integer of fen, not {value!r}."]})
    return value


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class _Core(Core):
    """wechatpayv3's Core talking to our base URL and verifying with our keys.

    The library has no base-URL option (its Core keeps the host in one attribute), and without a
    public key its constructor downloads certificates from the hard-coded host and never checks
    that answer's signature; these three hooks hand both jobs to ``PlatformKeys``.
    """

    def __init__(self, *, base_url: str, keys: PlatformKeys, **kwargs):
        self._keys = keys
        super().__init__(**kwargs)
        self._gate_way = base_url.rstrip("/")

    def _init_certificates(self) -> None:  # the constructor's download: certificates come on demand
        pass

    def _update_certificates(self) -> None:
        self._keys.refresh()

    def _verify_signature(self, headers, body) -> bool:
        return self._keys.verify(headers, body)


class _Client(WeChatPay):
    """WeChatPay with our Core (its own constructor would build the library's)."""

    def __init__(self, *, core: Core, appid: str, mchid: str, notify_url: str):
        self._type, self._mchid, self._appid, self._notify_url = WeChatPayType.MINIPROG, mchid, appid, notify_url
        self._core, self._partner_mode = core, False


class WeChatPayGateway:
    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        mch_id: str,
        mch_cert_serial_no: str,
        mch_private_key: str,
        apiv3_key: str,
        key_modes: tuple[str, ...],
        platform_public_key: str,
        platform_public_key_id: str,
        certificate_renew_hours: int,
        certificate_min_download_seconds: int,
        notify_url: str,
        refund_notify_url: str,
        notify_max_age_seconds: int,
        timeout: float,
    ):
        self.app_id, self.mch_id, self.apiv3_key = app_id, mch_id, apiv3_key
        self.refund_notify_url = refund_notify_url
        self.notify_max_age_seconds = notify_max_age_seconds
        source = CertificateSource(
            base_url=base_url,
            mch_id=mch_id,
            mch_cert_serial_no=mch_cert_serial_no,
            mch_private_key=load_private_key(mch_private_key),
            apiv3_key=apiv3_key,
            timeout=timeout,
        )
        self.keys = PlatformKeys(
            modes=key_modes,
            public_key_id=platform_public_key_id,
            public_key_pem=platform_public_key,
            source=source,
            renew_hours=certificate_renew_hours,
            min_download_seconds=certificate_min_download_seconds,
        )
        with_public_key = PUBLIC_KEY in key_modes  # requests then name it in Wechatpay-Serial, as before
        core = _Core(
            base_url=base_url,
            keys=self.keys,
            mchid=mch_id,
            cert_serial_no=mch_cert_serial_no,
            private_key=mch_private_key,
            apiv3_key=apiv3_key,
            timeout=timeout,  # seconds, to connect and between reads (WECHATPAY_HTTP_TIMEOUT_SECONDS)
            public_key=platform_public_key if with_public_key else None,
            public_key_id=platform_public_key_id if with_public_key else None,
        )
        self._client = _Client(core=core, appid=app_id, mchid=mch_id, notify_url=notify_url)

    # --- calls
    def _call(self, what: str, call, *args, **kwargs) -> tuple[int, dict[str, Any] | None]:
        try:
            code, text = call(*args, **kwargs)
        except Exception as exc:  # network errors, and the library's "failed to verify the signature"
            logger.warning("wechat pay %s failed: %s", what, exc)
            raise GatewayUnavailable() from exc
        try:
            body = json.loads(text) if text else None
        except (TypeError, ValueError) as exc:
            raise GatewayUnavailable() from exc
        if code >= 500:
            logger.warning("wechat pay %s answered %s: %s", what, code, body)
            raise GatewayUnavailable()
        return code, body

    @staticmethod
    def _rejected(code: int, body: dict[str, Any] | None) -> GatewayRejected:
        body = body or {}
        return GatewayRejected(str(body.get("code", "UNKNOWN")), str(body.get("message", "")), code)

    def prepay(
        self, *, out_trade_no: str, description: str, amount_fen: int, payer_openid: str, expires_at: datetime
    ) -> dict[str, str]:
        code, body = self._call(
            "prepay",
            self._client.pay,
            description=description[:127],
            out_trade_no=out_trade_no,
            amount={"total": amount_fen, "currency": "CNY"},
            payer={"openid": payer_openid},
            time_expire=expires_at.astimezone(CHINA).isoformat(timespec="seconds"),
            pay_type=WeChatPayType.MINIPROG,
        )
        if code != 200 or not body or not body.get("prepay_id"):
            raise self._rejected(code, body)
        return self.client_pay_params(body["prepay_id"])

    def client_pay_params(self, prepay_id: str) -> dict[str, str]:
        """The arguments of wx.requestPayment / WeixinJSBridge getBrandWCPayRequest, signed."""
        params = {
            "appId": self.app_id,
            "timeStamp": str(int(time.time())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        params["paySign"] = self._client.sign(
            [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
        )
        return params

    def query(self, out_trade_no: str) -> TransactionState | None:
        code, body = self._call("query", self._client.query, out_trade_no=out_trade_no)
        if code == 404:
            return None
        if code != 200 or not body:
            raise self._rejected(code, body)
        return self._answer(self.transaction_from, body, "query")

    def close(self, out_trade_no: str) -> None:
        code, body = self._call("close", self._client.close, out_trade_no=out_trade_no)
        if code not in (200, 204):
            raise self._rejected(code, body)

    def refund(
        self, *, out_refund_no: str, out_trade_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> RefundState:
        code, body = self._call(
            "refund",
            self._client.refund,
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
            reason=reason or None,
            notify_url=self.refund_notify_url or None,
        )
        if code != 200 or not body:
            raise self._rejected(code, body)
        return self._answer(self.refund_from, body, "refund")

    def query_refund(self, out_refund_no: str) -> RefundState | None:
        code, body = self._call("refund query", self._client.query_refund, out_refund_no=out_refund_no)
        if code == 404:
            return None
        if code != 200 or not body:
            raise self._rejected(code, body)
        return self._answer(self.refund_from, body, "refund query")

    # --- bills (reconciliation reads them)
    def bill_link(self, kind: str, bill_date: str) -> BillLink:
        """Ask for day ``bill_date``'s trade bill (type ALL) or fund-flow bill (BASIC account), gzipped.

        ``kind`` is "trade" or "fund_flow".  A bill WeChat has not made (yet) answers 400
        NO_STATEMENT_EXIST: a GatewayRejected the caller reads, not an outage.
        """
        call = self._client.trade_bill if kind == "trade" else self._client.fundflow_bill
        code, body = self._call(f"{kind} bill", call, bill_date, *(("ALL",) if kind == "trade" else ("BASIC",)), "GZIP")
        if code != 200 or not body or not body.get("download_url"):
            raise self._rejected(code, body)
        return BillLink(str(body.get("hash_type", "")), str(body.get("hash_value", "")), str(body["download_url"]))

    def download_bill(self, url: str) -> bytes:
        """The file at a bill's download URL, as sent (gzip).  WeChat does not sign it: the caller
        checks the SHA-1 the bill request gave."""
        try:
            code, content = self._client.download_bill(url)
        except Exception as exc:
            logger.warning("wechat pay bill download failed: %s", exc)
            raise GatewayUnavailable() from exc
        if code >= 500:
            raise GatewayUnavailable()
        if code != 200 or not isinstance(content, bytes):
            try:
                body = json.loads(content) if content else None
            except (TypeError, ValueError):
                body = None
            raise self._rejected(code, body if isinstance(body, dict) else None)
        return content

    # --- translating WeChat's JSON into our facts
    @staticmethod
    def _answer(convert, body: dict[str, Any], what: str):
        """An API answer turned into our facts; a malformed one means the provider answered nonsense."""
        try:
            return convert(body)
        except NotificationRejected as exc:
            logger.warning("wechat pay %s answered a malformed resource: %s", what, exc.message)
            raise GatewayUnavailable() from exc

    def transaction_from(self, resource: dict[str, Any]) -> TransactionState:
        amount = resource.get("amount") or {}
        return TransactionState(
            app_id=str(resource.get("appid", "")),
            mch_id=str(resource.get("mchid", "")),
            out_trade_no=str(resource.get("out_trade_no", "")),
            trade_state=str(resource.get("trade_state", "")),
            amount_fen=_fen(amount, "total"),
            transaction_id=resource.get("transaction_id"),
            success_time=_parse_time(resource.get("success_time")),
            payer_openid=(resource.get("payer") or {}).get("openid"),
        )

    def refund_from(self, resource: dict[str, Any]) -> RefundState:
        amount = resource.get("amount") or {}
        return RefundState(
            mch_id=resource.get("mchid"),
            out_refund_no=str(resource.get("out_refund_no", "")),
            out_trade_no=str(resource.get("out_trade_no", "")),
            refund_id=str(resource.get("refund_id", "")),
            status=str(resource.get("status") or resource.get("refund_status") or ""),
            amount_fen=_fen(amount, "refund"),
            success_time=_parse_time(resource.get("success_time")),
        )

    # --- notifications
    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Signature, key id, timestamp window, then AES-256-GCM decryption, each refused by name."""
        missing = [name for name in NOTIFY_HEADERS if not headers.get(name)]
        if missing:
            raise NotificationRejected(fields={"headers": [f"Missing {', '.join(missing)}."]})
        if headers["Wechatpay-Signature-Type"] != SIGNATURE_TYPE:
            raise NotificationRejected(
                fields={"headers": [f"Unsupported signature type {headers['Wechatpay-Signature-Type']}."]}
            )
        try:
            age = abs(time.time() - int(headers["Wechatpay-Timestamp"]))
        except ValueError as exc:
            raise NotificationRejected(fields={"headers": ["Wechatpay-Timestamp is not a number."]}) from exc
        if age > self.notify_max_age_seconds:
            raise NotificationRejected(
                fields={"headers": [f"Timestamp is {int(age)} s away from now; stale or replayed."]}
            )
        key = self.keys.key_for(headers["Wechatpay-Serial"])  # after the timestamp: junk downloads nothing
        if key is None:
            raise NotificationRejected(
                fields={
                    "headers": [
                        f"Signed with a key we do not know (Wechatpay-Serial {headers['Wechatpay-Serial'][:64]!r}): "
                        "neither our WeChat Pay public key nor a current platform certificate."
                    ]
                }
            )
        text = body.decode("utf-8", "replace")
        if not rsa_verify(
            headers["Wechatpay-Timestamp"],
            headers["Wechatpay-Nonce"],
            text,
            headers["Wechatpay-Signature"],
            key,
        ):
            raise NotificationRejected(fields={"headers": ["Signature verification failed."]})
        try:
            envelope = json.loads(text)
            resource = envelope["resource"]
            if envelope.get("resource_type") != "encrypt-resource" or resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRejected(fields={"resource": ["Expected an AEAD_AES_256_GCM encrypted resource."]})
            plaintext = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=self.apiv3_key,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationRejected(fields={"body": ["Not a WeChat Pay notification."]}) from exc
        if plaintext is None:
            raise NotificationRejected(fields={"resource": ["Decryption failed (wrong APIv3 key or tampered data)."]})
        try:
            resource = json.loads(plaintext)
        except ValueError as exc:
            raise NotificationRejected(fields={"resource": ["The decrypted resource is not JSON."]}) from exc
        if not isinstance(resource, dict):
            raise NotificationRejected(fields={"resource": ["The decrypted resource is not a JSON object."]})
        return Notification(
            event_type=str(envelope.get("event_type", "")),
            notification_id=str(envelope.get("id", "")),
            resource=resource,
        )


def _read(path: str, name: str) -> str:
    if not path:
        raise GatewayUnavailable(gettext("WeChat Pay is not configured (%(setting)s is empty).") % {"setting": name})
    return Path(path).read_text()


@lru_cache(maxsize=4)
def _gateway_for(config: tuple) -> WeChatPayGateway:
    names = [
        "base_url",
        "app_id",
        "mch_id",
        "mch_cert_serial_no",
        "mch_private_key_file",
        "apiv3_key",
        "key_modes",
        "platform_public_key_file",
        "platform_public_key_id",
        "certificate_renew_hours",
        "certificate_min_download_seconds",
        "notify_url",
        "refund_notify_url",
        "notify_max_age_seconds",
        "timeout",
    ]
    values = dict(zip(names, config, strict=True))
    public_key_file = values.pop("platform_public_key_file")
    return WeChatPayGateway(
        mch_private_key=_read(values.pop("mch_private_key_file"), "WECHATPAY_MCH_PRIVATE_KEY_FILE"),
        platform_public_key=_read(public_key_file, "WECHATPAY_PUBLIC_KEY_FILE")
        if PUBLIC_KEY in values["key_modes"]
        else "",
        **values,
    )


def get_gateway() -> WeChatPayGateway:
    """The process's gateway, rebuilt when the settings change (tests point it at fakes)."""
    return _gateway_for(
        (
            settings.WECHATPAY_BASE_URL,
            settings.WECHAT_APP_ID,
            settings.WECHATPAY_MCH_ID,
            settings.WECHATPAY_MCH_CERT_SERIAL_NO,
            settings.WECHATPAY_MCH_PRIVATE_KEY_FILE,
            settings.WECHATPAY_APIV3_KEY,
            tuple(settings.WECHATPAY_KEY_MODES),
            settings.WECHATPAY_PUBLIC_KEY_FILE,
            settings.WECHATPAY_PUBLIC_KEY_ID,
            settings.WECHATPAY_CERTIFICATE_RENEW_HOURS,
            settings.WECHATPAY_CERTIFICATE_MIN_DOWNLOAD_SECONDS,
            settings.WECHATPAY_NOTIFY_URL,
            settings.WECHATPAY_REFUND_NOTIFY_URL,
            settings.WECHATPAY_NOTIFY_MAX_AGE_SECONDS,
            settings.WECHATPAY_HTTP_TIMEOUT_SECONDS,
        )
    )
