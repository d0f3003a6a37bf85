"""Payment and refund rules: pay each order at most once, refund at most what was paid.

Every state change happens under row locks (order first, then payment or refund, the same
order ``orders.services.close_order`` uses), and is a no-op when already applied, so
duplicate notifications, client retries and queries racing each other are harmless.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework import exceptions, status

from orders import services as order_services
from orders.models import Order, Payment, Refund

from .gateway import (
    GatewayRejected,
    GatewayUnavailable,
    NotificationRejected,
    PaymentGateway,
    RefundState,
    TransactionState,
)
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)


class OrderNotPayable(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "order_not_payable"


class RefundConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refund_conflict"


def out_trade_no_for(order: Order) -> str:
    """One merchant order number per order, so a customer can never be charged twice for it."""
    return order.id.hex


# --- paying
def start_payment(order: Order, gateway: PaymentGateway | None = None) -> dict[str, str]:
    """Place (or re-place: WeChat answers the same prepay id) the prepay order; returns pay params."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer", "store").get(pk=order.pk)
        if order.status != Order.Status.CREATED:
            raise OrderNotPayable(f"Order is {order.status}; only unpaid orders can be paid.")
        if order.expires_at and order.expires_at <= timezone.now():
            raise OrderNotPayable("Order has expired; please order again.")
        if order.total_fen < 1:
            raise OrderNotPayable("Order total is zero; there is nothing to pay.")
        payment, _ = Payment.objects.get_or_create(
            out_trade_no=out_trade_no_for(order), defaults={"order": order, "amount_fen": order.total_fen}
        )
    gateway = gateway or get_gateway()
    try:
        return gateway.prepay(
            out_trade_no=payment.out_trade_no,
            description=f"{order.store.name} {order.lines.count()} items",
            amount_fen=payment.amount_fen,
            payer_openid=order.customer.openid,
            expires_at=order.expires_at,
        )
    except GatewayRejected as exc:
        if exc.provider_code == "ORDERPAID":
            sync_payment(payment, gateway)
            raise OrderNotPayable("Order is already paid.") from exc
        raise


def _mismatches(payment: Payment, state: TransactionState) -> list[str]:
    problems = []
    if state.app_id != settings.WECHAT_APP_ID:
        problems.append(f"appid {state.app_id!r} is not ours")
    if state.mch_id != settings.WECHATPAY_MCH_ID:
        problems.append(f"mchid {state.mch_id!r} is not ours")
    if state.out_trade_no != payment.out_trade_no:
        problems.append(f"out_trade_no {state.out_trade_no!r} is not {payment.out_trade_no!r}")
    if state.amount_fen != payment.amount_fen:
        problems.append(f"amount {state.amount_fen} fen is not the {payment.amount_fen} fen we asked for")
    return problems


def late_refund_no_for(payment: Payment) -> str:
    """The one out_refund_no of the refund of a payment that landed on a closed order."""
    return f"RFLATE{payment.out_trade_no}"


def mark_paid(
    payment: Payment,
    *,
    transaction_id: str | None,
    paid_at: datetime | None,
    gateway: PaymentGateway | None = None,
) -> bool:
    """Record a confirmed payment exactly once; True only for the call that recorded it.

    A payment landing on an order already closed (expiry racing a last-second payment) is
    refunded in full, once: its refund row is made with the payment's own state change, under
    the same locks, and the order stays closed with its released stock untouched.  If WeChat
    cannot take the refund now, ``payments.tasks.sync_pending_refunds`` submits it again later.
    """
    late_refund = None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state == Payment.State.SUCCEEDED:
            return False
        payment.state = Payment.State.SUCCEEDED
        payment.transaction_id = transaction_id
        payment.paid_at = paid_at or timezone.now()
        payment.save(update_fields=["state", "transaction_id", "paid_at"])
        if order.can_transition_to(Order.Status.PAID):
            order.transition_to(Order.Status.PAID)
            order.paid_at = payment.paid_at
            order.save(update_fields=["status", "paid_at"])
        else:
            logger.error("payment %s arrived for order %s in status %s: refunding it", payment, order.pk, order.status)
            late_refund = Refund.objects.create(
                order=order,
                payment=payment,
                out_refund_no=late_refund_no_for(payment),
                amount_fen=payment.amount_fen,
                reason=f"Order was {order.status} when the payment arrived",
            )
    logger.info("order %s paid (%s, %s fen)", order.pk, transaction_id, payment.amount_fen)
    if late_refund is not None:
        try:
            apply_refund_state(late_refund, _submit_refund(late_refund, gateway or get_gateway()))
        except (GatewayUnavailable, GatewayRejected) as exc:
            logger.error("refund %s not yet accepted by WeChat Pay, retried later: %s", late_refund, exc)
    return True


def sync_payment(payment: Payment, gateway: PaymentGateway | None = None) -> Payment:
    """Ask WeChat about a payment and apply what it says (a client's "I paid" lands here)."""
    gateway = gateway or get_gateway()
    state = gateway.query(payment.out_trade_no)
    if state is None:
        return payment
    problems = _mismatches(payment, state)
    if problems:
        logger.error("query of %s disagrees with our records: %s", payment.out_trade_no, "; ".join(problems))
        raise GatewayUnavailable("The payment provider's record disagrees with ours; staff have been alerted.")
    if state.paid:
        mark_paid(payment, transaction_id=state.transaction_id, paid_at=state.success_time, gateway=gateway)
    elif state.trade_state in ("CLOSED", "REVOKED", "PAYERROR"):
        new_state = Payment.State.CLOSED if state.trade_state != "PAYERROR" else Payment.State.FAILED
        Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(state=new_state)
    payment.refresh_from_db()
    return payment


# --- notifications
@contextmanager
def _verified_notification(kind: str, headers: dict[str, str], body: bytes, gateway: PaymentGateway):
    """Verify and decrypt a notification, refuse a replay, and log every refusal.

    The signed nonce is claimed only once the signature checks out, and given back if the
    notification is then refused or fails, so WeChat's own retry of it is not taken for a replay.
    """
    try:
        note = gateway.parse_notification(headers, body)
        key = f"wechatpay:notify-nonce:{headers['Wechatpay-Nonce']}:{headers['Wechatpay-Timestamp']}"
        if not cache.add(key, 1, timeout=2 * settings.WECHATPAY_NOTIFY_MAX_AGE_SECONDS):
            raise NotificationRejected({"headers": ["This notification (nonce) was already received: a replay."]})
        try:
            yield note
        except Exception:
            cache.delete(key)
            raise
    except NotificationRejected as exc:
        logger.warning("%s notification refused: %s", kind, exc.detail)
        raise


def handle_payment_notification(
    headers: dict[str, str], body: bytes, gateway: PaymentGateway | None = None
) -> Payment | None:
    """Verify, decrypt and check a TRANSACTION.* notification, then record the payment once."""
    gateway = gateway or get_gateway()
    with _verified_notification("payment", headers, body, gateway) as note:
        state = gateway.transaction_from(note.resource)
        payment = Payment.objects.filter(out_trade_no=state.out_trade_no).first()
        if payment is None:
            raise NotificationRejected({"out_trade_no": [f"Unknown out_trade_no {state.out_trade_no!r}."]})
        problems = _mismatches(payment, state)
        if problems:
            raise NotificationRejected({"resource": problems})
        if note.event_type == "TRANSACTION.SUCCESS" and state.paid:
            mark_paid(payment, transaction_id=state.transaction_id, paid_at=state.success_time, gateway=gateway)
        else:
            logger.info("notification %s for %s: %s, nothing to do", note.event_type, payment, state.trade_state)
        return payment


def handle_refund_notification(
    headers: dict[str, str], body: bytes, gateway: PaymentGateway | None = None
) -> Refund | None:
    """Verify, decrypt and check a REFUND.* notification, then settle the refund once."""
    gateway = gateway or get_gateway()
    with _verified_notification("refund", headers, body, gateway) as note:
        state = gateway.refund_from(note.resource)
        refund = Refund.objects.select_related("payment").filter(out_refund_no=state.out_refund_no).first()
        if refund is None:
            raise NotificationRejected({"out_refund_no": [f"Unknown out_refund_no {state.out_refund_no!r}."]})
        problems = []
        if state.mch_id != settings.WECHATPAY_MCH_ID:
            problems.append(f"mchid {state.mch_id!r} is not ours")
        if state.out_trade_no != refund.payment.out_trade_no:
            problems.append(f"out_trade_no {state.out_trade_no!r} is not this refund's payment")
        if state.amount_fen != refund.amount_fen:
            problems.append(f"refund amount {state.amount_fen} fen is not the {refund.amount_fen} fen asked")
        if problems:
            raise NotificationRejected({"resource": problems})
        apply_refund_state(refund, state)
        return refund


# --- refunds
def _committed_refunds_fen(order: Order) -> int:
    live = order.refunds.filter(state__in=[Refund.State.PENDING, Refund.State.SUCCEEDED])
    return live.aggregate(total=Sum("amount_fen"))["total"] or 0


def _submit_refund(refund: Refund, gateway: PaymentGateway) -> RefundState:
    """Send a refund to WeChat Pay; its out_refund_no makes WeChat refund it once however often."""
    return gateway.refund(
        out_refund_no=refund.out_refund_no,
        out_trade_no=refund.payment.out_trade_no,
        amount_fen=refund.amount_fen,
        total_fen=refund.payment.amount_fen,
        reason=refund.reason,
    )


def request_refund(
    order: Order,
    *,
    amount_fen: int,
    reason: str = "",
    requested_by=None,
    out_refund_no: str | None = None,
    gateway: PaymentGateway | None = None,
) -> Refund:
    """Refund part or all of a paid order.  Retrying with the same out_refund_no is safe."""
    out_refund_no = out_refund_no or f"RF{uuid.uuid4().hex}"
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        refund = Refund.objects.filter(out_refund_no=out_refund_no).first()
        if refund is not None:
            if refund.order_id != order.pk or refund.amount_fen != amount_fen:
                raise RefundConflict(f"out_refund_no {out_refund_no} was already used for a different refund.")
        else:
            if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
                raise RefundConflict(f"Order is {order.status}; only paid orders can be refunded.")
            payment = order.payments.get(state=Payment.State.SUCCEEDED)
            refundable = payment.amount_fen - _committed_refunds_fen(order)
            if amount_fen > refundable:
                raise exceptions.ValidationError(
                    {"amount_fen": [f"At most {refundable} fen can still be refunded on this order."]}
                )
            refund = Refund.objects.create(
                order=order,
                payment=payment,
                out_refund_no=out_refund_no,
                amount_fen=amount_fen,
                reason=reason,
                requested_by=requested_by if isinstance(requested_by, get_user_model()) else None,
            )
    if refund.state != Refund.State.PENDING:
        return refund
    gateway = gateway or get_gateway()
    try:
        state = _submit_refund(refund, gateway)
    except GatewayRejected as exc:
        logger.warning("refund %s refused by WeChat Pay: %s", refund.out_refund_no, exc.detail)
        Refund.objects.filter(pk=refund.pk, state=Refund.State.PENDING).update(
            state=Refund.State.FAILED, settled_at=timezone.now()
        )
        raise
    apply_refund_state(refund, state)
    refund.refresh_from_db()
    return refund


def apply_refund_state(refund: Refund, state: RefundState) -> bool:
    """Settle a pending refund from WeChat's word, once.  True for the call that settled it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.PENDING:
            return False
        refund.refund_id = state.refund_id or refund.refund_id
        if state.status == "SUCCESS":
            refund.state, refund.settled_at = Refund.State.SUCCEEDED, state.success_time or timezone.now()
            order.refunded_fen += refund.amount_fen
            if order.status != Order.Status.CLOSED:  # a late payment's refund leaves its order closed
                fully = order.refunded_fen >= order.total_fen
                order.transition_to(Order.Status.REFUNDED if fully else Order.Status.PARTIALLY_REFUNDED)
            order.save(update_fields=["refunded_fen", "status"])
        elif state.status in ("CLOSED", "ABNORMAL"):
            refund.state, refund.settled_at = Refund.State.FAILED, timezone.now()
            logger.error("refund %s ended %s at WeChat Pay", refund.out_refund_no, state.status)
        refund.save(update_fields=["refund_id", "state", "settled_at"])
        return refund.state != Refund.State.PENDING


def sync_refund(refund: Refund, gateway: PaymentGateway | None = None) -> Refund:
    """Settle a pending refund from WeChat's records; one WeChat never received is submitted again
    (same out_refund_no, so WeChat refunds it once however often this runs)."""
    gateway = gateway or get_gateway()
    state = gateway.query_refund(refund.out_refund_no)
    if state is None:
        state = _submit_refund(refund, gateway)
    if state.amount_fen == refund.amount_fen:
        apply_refund_state(refund, state)
    else:
        logger.error(
            "refund %s: WeChat has %s fen, we asked %s", refund.out_refund_no, state.amount_fen, refund.amount_fen
        )
    refund.refresh_from_db()
    return refund


# --- expiry
def close_expired_orders(now: datetime | None = None, gateway: PaymentGateway | None = None) -> int:
    """Close unpaid orders past expiry and release their stock.

    An order with a prepay at WeChat is first settled with WeChat: if the customer paid at the
    last moment it becomes paid; otherwise the WeChat order is closed before ours, so no
    payment can land on a closed order.  Orders WeChat cannot be asked about wait for the next run.
    """
    now = now or timezone.now()
    closed = 0
    expired = Order.objects.filter(status=Order.Status.CREATED, expires_at__lte=now)
    for order in expired.iterator():
        payment = order.payments.filter(state=Payment.State.PENDING).first()
        if payment is not None:
            try:
                gateway = gateway or get_gateway()
                payment = sync_payment(payment, gateway)
                if payment.state == Payment.State.PENDING:
                    gateway.close(payment.out_trade_no)
                    Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(
                        state=Payment.State.CLOSED
                    )
            except (GatewayUnavailable, GatewayRejected) as exc:
                logger.warning("cannot settle expired order %s with WeChat Pay yet: %s", order.pk, exc)
                continue
            if payment.state == Payment.State.SUCCEEDED:
                continue
        closed += order_services.close_order(order)
    return closed


__all__ = [
    "OrderNotPayable",
    "RefundConflict",
    "close_expired_orders",
    "handle_payment_notification",
    "handle_refund_notification",
    "late_refund_no_for",
    "mark_paid",
    "request_refund",
    "start_payment",
    "sync_payment",
    "sync_refund",
]
