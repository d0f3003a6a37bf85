"""The payment gateway interface the payment services talk to, and the facts it returns.

Business checks (amount, app id, merchant id, which order) are the services' job; a gateway
only speaks the provider's protocol: signing, verifying, encrypting, and the HTTP calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .errors import GatewayRejected, GatewayUnavailable, NotificationRejected

__all__ = [
    "BillLink",
    "GatewayRejected",
    "GatewayUnavailable",
    "Notification",
    "NotificationRejected",
    "PaymentGateway",
    "RefundState",
    "TransactionState",
]


@dataclass(frozen=True)
class TransactionState:
    app_id: str
    mch_id: str
    out_trade_no: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR, REVOKED
    amount_fen: int
    transaction_id: str | None = None
    success_time: datetime | None = None
    payer_openid: str | None = None

    @property
    def paid(self) -> bool:
        # REFUND means "paid, then (partly) refunded": the money did arrive.
        return self.trade_state in ("SUCCESS", "REFUND")


@dataclass(frozen=True)
class RefundState:
    mch_id: str | None
    out_refund_no: str
    out_trade_no: str
    refund_id: str
    status: str  # SUCCESS, PROCESSING, CLOSED, ABNORMAL
    amount_fen: int
    success_time: datetime | None = None


@dataclass(frozen=True)
class BillLink:
    """Where to download a bill (valid a few minutes) and the SHA-1 of its uncompressed file."""

    hash_type: str
    hash_value: str
    download_url: str


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification."""

    event_type: str
    notification_id: str
    resource: dict[str, Any]


class PaymentGateway(Protocol):
    def prepay(
        self, *, out_trade_no: str, description: str, amount_fen: int, payer_openid: str, expires_at: datetime
    ) -> dict[str, str]:
        """Place the order with the provider; returns the client's pay parameters."""

    def query(self, out_trade_no: str) -> TransactionState | None:
        """The provider's view of a transaction; None if it never heard of it."""

    def close(self, out_trade_no: str) -> None: ...

    def refund(
        self, *, out_refund_no: str, out_trade_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> RefundState: ...

    def query_refund(self, out_refund_no: str) -> RefundState | None: ...

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Verify signature and timestamp window, then decrypt; NotificationRejected otherwise."""

    def transaction_from(self, resource: dict[str, Any]) -> TransactionState: ...

    def refund_from(self, resource: dict[str, Any]) -> RefundState: ...
