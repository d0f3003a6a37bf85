"""One HTTP server playing both WeChat hosts: ``api.weixin.qq.com`` (code2session) and
``api.mch.weixin.qq.com`` (Pay v3 JSAPI: prepay, query, close, refund, refund query).

Besides the real endpoints it has a few ``/_fake/...`` controls (the customer paying in the
WeChat app, WeChat settling a refund) which send the signed, encrypted notifications to the
``notify_url`` given at prepay/refund time, as WeChat does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import bills, crypto
from .certificates import FakeCertificate, make_certificate
from .crypto import KeyPair, generate_keypair
from .ledger import Ledger

logger = logging.getLogger("wechat_fake")

CHINA = timezone(timedelta(hours=8))
AUTH_RE = re.compile(r'(\w+)="([^"]*)"')

# code2session answers for special codes, as WeChat documents them.
SPECIAL_CODES = {
    "invalid-code": (40029, "invalid code"),
    "used-code": (40163, "code been used"),
    "rate-limited": (45011, "api minute-quota reach limit  mustslower  retry next minute"),
    "system-busy": (-1, "system error"),
    "risky-user": (40226, "high risk user"),
}


TRADE_STATE_DESC = {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭", "REFUND": "转入退款"}


def _now_rfc3339() -> str:
    return datetime.now(CHINA).replace(microsecond=0).isoformat()


class PayError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Transaction:
    appid: str
    mchid: str
    out_trade_no: str
    description: str
    total: int
    openid: str
    notify_url: str
    prepay_id: str
    time_expire: str | None = None
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    refunded: int = 0

    def as_query(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": self.trade_state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(
                self.trade_state, ""
            ),
            "payer": {"openid": self.openid},
            "amount": {"total": self.total, "currency": "CNY"},
        }
        if self.trade_state in ("SUCCESS", "REFUND"):  # paid (then refunded): WeChat still names the payment
            body.update(transaction_id=self.transaction_id, success_time=self.success_time, bank_type="OTHERS")
            body["amount"].update(payer_total=self.total, payer_currency="CNY")
        return body


@dataclass
class RefundRecord:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    notify_url: str | None
    status: str = "PROCESSING"
    create_time: str = field(default_factory=_now_rfc3339)
    success_time: str | None = None

    def as_json(self, mchid: str) -> dict[str, Any]:
        body = {
            "mchid": mchid,
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": self.create_time,
            "status": self.status,
            "amount": {
                "total": self.total,
                "refund": self.refund,
                "payer_total": self.total,
                "payer_refund": self.refund,
                "currency": "CNY",
            },
        }
        if self.success_time:
            body["success_time"] = self.success_time
        return body


class FakeWeChat:
    """Start with ``FakeWeChat(...).start()``; ``base_url`` serves both WeChat hosts."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        mch_id: str,
        apiv3_key: str,
        merchant_public_pem: str,
        merchant_serial_no: str,
        platform_keys: KeyPair | None = None,
        platform_public_key_id: str = "PUB_KEY_ID_0000000000000000000000000001",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self.app_id, self.app_secret, self.mch_id, self.apiv3_key = app_id, app_secret, mch_id, apiv3_key
        self.merchant_public_key = KeyPair("", merchant_public_pem).public_key
        self.merchant_serial_no = merchant_serial_no
        self.platform_keys = platform_keys or generate_keypair()
        self.platform_public_key_id = platform_public_key_id
        self.certificates: list[FakeCertificate] = []  # platform certificates (certificate mode)
        self.signing_serial = platform_public_key_id  # what answers and notifications are signed with
        self.transactions: dict[str, Transaction] = {}
        self.refunds: dict[str, RefundRecord] = {}
        self.used_codes: set[str] = set()
        self.ledger = Ledger()  # what WeChat's books say: the bills are written from it
        self.bill_downloads = bills.BillDownloads()
        self.bills_ready_immediately = False  # True: a day's bills (so far) are served at once, today's too
        self.requests: list[tuple[str, str]] = []  # (method, path) of every call, for tests
        self.unavailable: set[str] = set()  # Pay v3 paths answering 500 SYSTEM_ERROR (WeChat down), for tests
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeChat:
        self._thread = threading.Thread(target=self._server.serve_forever, name="wechat-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- code2session
    def code2session(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("js_code", "")
        if code in SPECIAL_CODES:
            errcode, errmsg = SPECIAL_CODES[code]
            return {"errcode": errcode, "errmsg": errmsg}
        if not code:
            return {"errcode": 41008, "errmsg": "missing code"}
        with self.lock:
            if code in self.used_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            self.used_codes.add(code)
        # One user per code prefix: "alice-1" and "alice-2" are the same person logging in twice.
        user = code.rsplit("-", 1)[0]
        digest = hashlib.sha256(f"{self.app_id}:{user}".encode()).hexdigest()
        return {"openid": f"o{digest[:27]}", "session_key": hashlib.md5(code.encode()).hexdigest()[:24]}

    # --- Pay v3 request authentication
    def check_authorization(self, method: str, path: str, body: str, header: str) -> None:
        scheme, _, params = header.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            raise PayError(401, "SIGN_ERROR", "Authorization scheme must be WECHATPAY2-SHA256-RSA2048")
        fields = dict(AUTH_RE.findall(params))
        if fields.get("mchid") != self.mch_id:
            raise PayError(401, "SIGN_ERROR", "mchid in Authorization is not this merchant")
        if fields.get("serial_no", "").upper() != self.merchant_serial_no.upper():
            raise PayError(401, "SIGN_ERROR", "unknown merchant certificate serial_no")
        if abs(time.time() - int(fields.get("timestamp", "0") or 0)) > 300:
            raise PayError(401, "SIGN_ERROR", "Authorization timestamp is outside the allowed window")
        message = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        if not crypto.verify(self.merchant_public_key, message, fields.get("signature", "")):
            raise PayError(401, "SIGN_ERROR", "signature verification failed")

    # --- platform keys: the public key (its id) and certificates (their serials)
    def add_certificate(
        self, *, valid_for: timedelta = timedelta(days=5 * 365), starts: datetime | None = None
    ) -> FakeCertificate:
        """Issue a platform certificate (listed by /v3/certificates from now on; not yet signing)."""
        not_before = starts or datetime.now(UTC) - timedelta(minutes=5)
        certificate = make_certificate(self.mch_id, not_before=not_before, not_after=not_before + valid_for)
        with self.lock:
            self.certificates.append(certificate)
        return certificate

    def sign_with(self, serial: str) -> None:
        """Sign from now on with the public key (its id) or the certificate of this serial."""
        self._signing_key(serial)
        self.signing_serial = serial

    def _signing_key(self, serial: str):
        if serial == self.platform_public_key_id:
            return self.platform_keys.private_key
        for certificate in self.certificates:
            if certificate.serial_no == serial:
                return certificate.keys.private_key
        raise KeyError(f"no platform key {serial}")

    def certificates_listing(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"data": [c.listing(self.apiv3_key) for c in self.certificates if c.not_after > now]}

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, nonce: str | None = None, serial: str | None = None
    ) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or crypto.nonce()
        serial = serial or self.signing_serial
        signature = crypto.sign(self._signing_key(serial), f"{timestamp}\n{nonce}\n{body}\n")
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Request-ID": str(uuid.uuid4()),
        }

    # --- Pay v3 endpoints
    def prepay(self, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount", "payer"):
            if not data.get(name):
                raise PayError(400, "PARAM_ERROR", f"missing {name}")
        if data["appid"] != self.app_id or data["mchid"] != self.mch_id:
            raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
        total = data["amount"].get("total")
        if not isinstance(total, int) or total < 1:
            raise PayError(400, "PARAM_ERROR", "amount.total must be a positive integer (fen)")
        with self.lock:
            existing = self.transactions.get(data["out_trade_no"])
            if existing:
                if existing.trade_state == "SUCCESS":
                    raise PayError(400, "ORDERPAID", "该订单已支付")
                if existing.trade_state == "CLOSED":
                    raise PayError(400, "ORDER_CLOSED", "该订单已关闭")
                if existing.total != total or existing.openid != data["payer"].get("openid"):
                    raise PayError(400, "INVALID_REQUEST", "201 商户订单号重复")
                return {"prepay_id": existing.prepay_id}
            tx = Transaction(
                appid=data["appid"],
                mchid=data["mchid"],
                out_trade_no=data["out_trade_no"],
                description=data["description"],
                total=total,
                openid=data["payer"].get("openid", ""),
                notify_url=data["notify_url"],
                prepay_id=f"wx{uuid.uuid4().hex[:30]}",
                time_expire=data.get("time_expire"),
            )
            self.transactions[tx.out_trade_no] = tx
            return {"prepay_id": tx.prepay_id}

    def _transaction(self, out_trade_no: str) -> Transaction:
        tx = self.transactions.get(out_trade_no)
        if tx is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        return tx

    def close(self, out_trade_no: str) -> None:
        with self.lock:
            tx = self._transaction(out_trade_no)
            if tx.trade_state == "SUCCESS":
                raise PayError(400, "ORDERPAID", "订单已支付")
            tx.trade_state = "CLOSED"

    def refund(self, data: dict[str, Any]) -> dict[str, Any]:
        out_refund_no, amount = data.get("out_refund_no"), data.get("amount") or {}
        if not out_refund_no or not isinstance(amount.get("refund"), int) or amount["refund"] < 1:
            raise PayError(400, "PARAM_ERROR", "out_refund_no and a positive amount.refund are required")
        with self.lock:
            if out_refund_no in self.refunds:  # the same refund asked again: same answer
                return self.refunds[out_refund_no].as_json(self.mch_id)
            tx = self._transaction(data.get("out_trade_no", ""))
            if tx.trade_state not in ("SUCCESS", "REFUND"):
                raise PayError(400, "INVALID_REQUEST", "订单未支付, 不能退款")
            if amount.get("total") != tx.total:
                raise PayError(400, "INVALID_REQUEST", "订单金额与原订单金额不一致")
            if tx.refunded + amount["refund"] > tx.total:
                raise PayError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            tx.refunded += amount["refund"]
            tx.trade_state = "REFUND"
            record = RefundRecord(
                out_refund_no=out_refund_no,
                refund_id=f"50{uuid.uuid4().int % 10**28:028d}",
                out_trade_no=tx.out_trade_no,
                transaction_id=tx.transaction_id or "",
                refund=amount["refund"],
                total=tx.total,
                notify_url=data.get("notify_url"),
            )
            self.refunds[out_refund_no] = record
            self.ledger.refund(
                at=datetime.fromisoformat(record.create_time),
                appid=tx.appid,
                mchid=tx.mchid,
                openid=tx.openid,
                out_trade_no=tx.out_trade_no,
                transaction_id=record.transaction_id,
                out_refund_no=out_refund_no,
                refund_id=record.refund_id,
                amount_fen=record.refund,
                description=tx.description,
            )
            return record.as_json(self.mch_id)

    def query_refund(self, out_refund_no: str) -> dict[str, Any]:
        record = self.refunds.get(out_refund_no)
        if record is None:
            raise PayError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return record.as_json(self.mch_id)

    # --- what happens outside our server: the customer pays, WeChat settles a refund
    def complete_payment(self, out_trade_no: str, *, notify: bool = True) -> int | None:
        """Mark the transaction paid (as if the customer paid in WeChat) and notify.

        Returns the HTTP status our notify endpoint answered, or None when not notified.
        """
        with self.lock:
            tx = self._transaction(out_trade_no)
            if tx.trade_state == "NOTPAY":
                tx.trade_state = "SUCCESS"
                tx.transaction_id = f"42{uuid.uuid4().int % 10**26:026d}"
                tx.success_time = _now_rfc3339()
                self.ledger.charge(
                    at=datetime.fromisoformat(tx.success_time),
                    appid=tx.appid,
                    mchid=tx.mchid,
                    openid=tx.openid,
                    out_trade_no=tx.out_trade_no,
                    transaction_id=tx.transaction_id,
                    amount_fen=tx.total,
                    description=tx.description,
                )
        if not notify:
            return None
        return self.deliver(tx.notify_url, self.payment_notification(out_trade_no))

    def settle_refund(self, out_refund_no: str, *, notify: bool = True) -> int | None:
        with self.lock:
            record = self.refunds[out_refund_no]
            if record.status == "PROCESSING":
                record.status, record.success_time = "SUCCESS", _now_rfc3339()
                self.ledger.settle_refund(out_refund_no, "SUCCESS", datetime.fromisoformat(record.success_time))
        if not notify or not record.notify_url:
            return None
        return self.deliver(record.notify_url, self.refund_notification(out_refund_no))

    def payment_notification(self, out_trade_no: str, /, **overrides: Any) -> tuple[dict[str, str], str]:
        resource = self._transaction(out_trade_no).as_query() | overrides
        return self.notification("TRANSACTION.SUCCESS", "transaction", resource, summary="支付成功")

    def refund_notification(self, out_refund_no: str, /, **overrides: Any) -> tuple[dict[str, str], str]:
        record = self.refunds[out_refund_no]
        resource = record.as_json(self.mch_id) | overrides
        event = {"SUCCESS": "REFUND.SUCCESS", "ABNORMAL": "REFUND.ABNORMAL", "CLOSED": "REFUND.CLOSED"}.get(
            resource["status"], "REFUND.SUCCESS"
        )
        resource["refund_status"] = resource.pop("status")
        return self.notification(event, "refund", resource, summary="退款成功")

    def notification(
        self,
        event_type: str,
        original_type: str,
        resource: dict[str, Any],
        *,
        summary: str = "",
        timestamp: int | None = None,
        nonce: str | None = None,
        apiv3_key: str | None = None,
        serial: str | None = None,
    ) -> tuple[dict[str, str], str]:
        """(headers, body) of a v3 notification, signed with the platform key ``serial`` names
        (default: the one the fake signs with now, ``signing_serial``)."""
        encrypted = crypto.aes_gcm_encrypt(
            apiv3_key or self.apiv3_key, json.dumps(resource, ensure_ascii=False), original_type
        )
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": _now_rfc3339(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": {"original_type": original_type, **encrypted},
            },
            ensure_ascii=False,
        )
        headers = self.signed_headers(body, timestamp=timestamp, nonce=nonce, serial=serial)
        headers["Content-Type"] = "application/json"
        return headers, body

    @staticmethod
    def deliver(url: str, notification: tuple[dict[str, str], str]) -> int | None:
        """POST the notification; our server's status, or None when it could not be reached."""
        headers, body = notification
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            logger.warning("notify %s answered %s: %s", url, exc.code, exc.read()[:300])
            return exc.code
        except OSError as exc:  # unreachable: WeChat would retry later; the order can still be queried
            logger.warning("notify %s failed: %s", url, exc)
            return None

    # --- routing
    def route(self, method: str, path: str, body: str, headers: dict[str, str]) -> tuple[int, Any, bool]:
        """Returns (status, json body or None, whether to sign the response)."""
        with self.lock:
            self.requests.append((method, path))
        url = urlsplit(path)
        if url.path == "/sns/jscode2session" and method == "GET":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            return 200, self.code2session(query), False
        if url.path.startswith("/_fake/"):
            return self._control(method, url.path)
        if url.path.startswith("/v3/"):
            if url.path in self.unavailable:
                raise PayError(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
            self.check_authorization(method, path, body, headers.get("Authorization", ""))
            data = json.loads(body) if body else {}
            if method == "GET" and url.path == "/v3/certificates":
                return 200, self.certificates_listing(), True
            if method == "POST" and url.path == "/v3/pay/transactions/jsapi":
                return 200, self.prepay(data), True
            match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)(/close)?", url.path)
            if match and method == "GET" and not match.group(2):
                if parse_qs(url.query).get("mchid") != [self.mch_id]:
                    raise PayError(400, "PARAM_ERROR", "mchid query parameter is required")
                return 200, self._transaction(match.group(1)).as_query(), True
            if match and method == "POST" and match.group(2):
                self.close(match.group(1))
                return 204, None, True
            if method == "POST" and url.path == "/v3/refund/domestic/refunds":
                return 200, self.refund(data), True
            match = re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", url.path)
            if match and method == "GET":
                return 200, self.query_refund(match.group(1)), True
            if method == "GET" and url.path in ("/v3/bill/tradebill", "/v3/bill/fundflowbill"):
                return 200, self.bill(url.path.rsplit("/", 1)[1], parse_qs(url.query)), True
            if method == "GET" and url.path == "/v3/billdownload/file":
                return self.download_bill(parse_qs(url.query).get("token", [""])[0])
        return 404, {"code": "NOT_FOUND", "message": f"no such endpoint {method} {url.path}"}, False

    # --- bills (wechat_fake.bills writes them from the ledger)
    def bill(self, kind: str, query: dict[str, list[str]]) -> dict[str, str]:
        try:
            day = date.fromisoformat(query.get("bill_date", [""])[0])
        except ValueError as exc:
            raise PayError(400, "PARAM_ERROR", "bill_date must be yyyy-MM-DD") from exc
        now = datetime.now(CHINA)
        if day < (now - timedelta(days=92)).date():
            raise PayError(400, "INVALID_REQUEST", "只能下载三个月以内的账单")
        if (not self.bills_ready_immediately and now < bills.ready_at(day)) or day > now.date():
            raise PayError(400, "NO_STATEMENT_EXIST", "账单尚未生成")
        if kind == "tradebill":
            if query.get("bill_type", ["ALL"])[0] != "ALL":
                raise PayError(400, "PARAM_ERROR", "the fake serves bill_type ALL only")
            content = bills.trade_bill(self.ledger, day)
        else:
            if query.get("account_type", ["BASIC"])[0] != "BASIC":
                raise PayError(400, "PARAM_ERROR", "the fake keeps the BASIC account only")
            content = bills.fund_flow_bill(self.ledger, day)
        gzipped = query.get("tar_type", [""])[0] == "GZIP"
        return self.bill_downloads.issue(self.base_url, content, gzipped=gzipped)

    def download_bill(self, token: str) -> tuple[int, Any, bool]:
        data = self.bill_downloads.take(token)
        if data is None:
            raise PayError(400, "INVALID_REQUEST", "下载地址已过期或不存在")
        return 200, data, False  # bytes, unsigned: the caller checks the SHA-1 it was given

    def out_trade_no_of(self, prepay_id: str) -> str:
        """The order a prepay_id belongs to (the WeChat app pays a prepay_id, as ``wx.requestPayment`` does)."""
        with self.lock:
            for tx in self.transactions.values():
                if tx.prepay_id == prepay_id:
                    return tx.out_trade_no
        raise PayError(404, "ORDER_NOT_EXIST", f"no transaction with prepay_id {prepay_id}")

    def _control(self, method: str, path: str) -> tuple[int, Any, bool]:
        match = re.fullmatch(r"/_fake/pay/([^/]+)", path)
        if match and method == "POST":
            status = self.complete_payment(match.group(1))
            return 200, {"out_trade_no": match.group(1), "notify_status": status}, False
        match = re.fullmatch(r"/_fake/prepay/([^/]+)/pay", path)
        if match and method == "POST":
            out_trade_no = self.out_trade_no_of(match.group(1))
            status = self.complete_payment(out_trade_no)
            return 200, {"out_trade_no": out_trade_no, "notify_status": status}, False
        match = re.fullmatch(r"/_fake/refunds/([^/]+)/settle", path)
        if match and method == "POST":
            status = self.settle_refund(match.group(1))
            return 200, {"out_refund_no": match.group(1), "notify_status": status}, False
        return 404, {"code": "NOT_FOUND", "message": path}, False


def _handler_for(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            try:
                status, payload, signed = fake.route(method, self.path, body, dict(self.headers.items()))
            except PayError as exc:
                status, payload, signed = exc.status, {"code": exc.code, "message": exc.message}, False
            except (ValueError, KeyError) as exc:
                status, payload, signed = 400, {"code": "PARAM_ERROR", "message": str(exc)}, False
            if isinstance(payload, bytes):  # a bill file
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            text = "" if payload is None else json.dumps(payload, ensure_ascii=False)
            self.send_response(status)
            headers = fake.signed_headers(text) if signed else {}
            headers["Content-Type"] = "application/json; charset=utf-8"
            if self.path.startswith("/_fake/"):  # the development checkout page calls these from the browser
                headers["Access-Control-Allow-Origin"] = "*"
            headers["Content-Length"] = str(len(text.encode()))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(text.encode())

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s " + format, self.address_string(), *args)

    return Handler


__all__ = ["CHINA", "UTC", "FakeWeChat", "PayError"]
