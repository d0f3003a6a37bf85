"""WeChat Pay's notifications: verified, decrypted, checked against our records, applied once."""

from __future__ import annotations

import contextlib
import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from orders.models import Payment, Refund

from .checks import refund_disagreements, transaction_disagreements
from .gateway import NotificationRejected, PaymentGateway
from .paying import confirm_payment
from .refunds import apply_refund_state
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)


def _claim_nonce(key: str) -> bool | None:
    """True if the nonce is new, False if seen (a replay), None if the cache cannot tell."""
    try:
        return bool(cache.add(key, 1, timeout=2 * settings.WECHATPAY_NOTIFY_MAX_AGE_SECONDS))
    except Exception as exc:
        logger.warning("notification replay check skipped, the cache is unavailable: %s", exc)
        return None


@contextmanager
def _verified_notification(kind: str, headers: dict[str, str], body: bytes, gateway: PaymentGateway):
    """Verify and decrypt a notification, refuse a replay, and log every refusal.

    The signed nonce is claimed only once the signature checks out, and given back if the
    notification is then refused or fails, so WeChat's own retry of it is not taken for a replay.
    With the cache unavailable the replay check is skipped: the database alone decides, as the
    payment and refund rows are changed once, under their locks, whatever arrives twice.
    """
    try:
        note = gateway.parse_notification(headers, body)
        key = f"wechatpay:notify-nonce:{headers['Wechatpay-Nonce']}:{headers['Wechatpay-Timestamp']}"
        claimed = _claim_nonce(key)
        if claimed is False:
            raise NotificationRejected(
                fields={"headers": ["This notification (nonce) was already received: a replay."]}
            )
        try:
            yield note
        except Exception:
            if claimed:
                with contextlib.suppress(Exception):
                    cache.delete(key)
            raise
    except NotificationRejected as exc:
        logger.warning("%s notification refused: %s", kind, exc.message)
        raise


@contextmanager
def _checked_notification(
    kind: str, headers: dict[str, str], body: bytes, gateway: PaymentGateway, *, read, find, check
):
    """The one checker of both kinds: verified and decrypted (above), about a record of ours
    (``find`` by the merchant number the resource names), and agreeing with it (``check``).
    Yields (notification, the resource's state, our record)."""
    with _verified_notification(kind, headers, body, gateway) as note:
        state = read(note.resource)
        number = "out_trade_no" if kind == "payment" else "out_refund_no"
        record = find(getattr(state, number))
        if record is None:
            raise NotificationRejected(fields={number: [f"Unknown {number} {getattr(state, number)!r}."]})
        problems = check(record, state)
        if problems:
            raise NotificationRejected(fields={"resource": problems})
        yield note, state, record


def handle_payment_notification(
    headers: dict[str, str], body: bytes, gateway: PaymentGateway | None = None
) -> Payment | None:
    """Verify, decrypt and check a TRANSACTION.* notification, then record the payment once."""
    gateway = gateway or get_gateway()
    with _checked_notification(
        "payment",
        headers,
        body,
        gateway,
        read=gateway.transaction_from,
        find=lambda number: Payment.objects.filter(out_trade_no=number).first(),
        check=transaction_disagreements,
    ) as (note, state, payment):
        if note.event_type == "TRANSACTION.SUCCESS" and state.paid:
            confirm_payment(payment, transaction_id=state.transaction_id, paid_at=state.success_time)
        else:
            logger.info("notification %s for %s: %s, nothing to do", note.event_type, payment, state.trade_state)
        return payment


def handle_refund_notification(
    headers: dict[str, str], body: bytes, gateway: PaymentGateway | None = None
) -> Refund | None:
    """Verify, decrypt and check a REFUND.* notification, then settle the refund once."""
    gateway = gateway or get_gateway()
    with _checked_notification(
        "refund",
        headers,
        body,
        gateway,
        read=gateway.refund_from,
        find=lambda number: Refund.objects.select_related("payment").filter(out_refund_no=number).first(),
        check=refund_disagreements,
    ) as (_note, state, refund):
        apply_refund_state(refund, state)
        return refund
