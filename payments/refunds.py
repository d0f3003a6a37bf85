"""Refunds: at most what was paid, each out_refund_no refunded once however often it is sent."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from orders import actions as order_actions
from orders.models import Order, Payment, Refund
from smart_container.errors import InvalidInput

from .checks import refund_disagreements
from .errors import RefundConflict
from .gateway import GatewayRejected, PaymentGateway, RefundState
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)

# Sent inside the transaction that made a refund nobody is waiting for (a late payment's):
# ``payments.signals`` queues ``payments.tasks.submit_refund`` once that transaction commits.
refund_due = Signal()  # kwargs: refund_id


def new_out_refund_no() -> str:
    """A fresh merchant refund number (WeChat Pay's format: at most 64 of [A-Za-z0-9_*@|-])."""
    return f"RF{uuid.uuid4().hex}"


def late_refund_no_for(payment: Payment) -> str:
    """The one out_refund_no of the refund of a payment that landed on a closed order."""
    return f"RFLATE{payment.out_trade_no}"


def _committed_refunds_fen(order: Order) -> int:
    live = order.refunds.filter(state__in=[Refund.State.PENDING, Refund.State.SUCCEEDED])
    return live.aggregate(total=Sum("amount_fen"))["total"] or 0


def submit_refund(refund: Refund, gateway: PaymentGateway) -> RefundState:
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
    out_refund_no = out_refund_no or new_out_refund_no()
    with transaction.atomic():
        order = order_actions.lock(order.pk)
        refund = Refund.objects.filter(out_refund_no=out_refund_no).first()
        if refund is not None:
            if refund.order_id != order.pk or refund.amount_fen != amount_fen:
                raise RefundConflict(
                    gettext("out_refund_no %(number)s was already used for a different refund.")
                    % {"number": out_refund_no}
                )
        else:
            if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
                raise RefundConflict(
                    gettext('Order is "%(status)s"; only paid orders can be refunded.')
                    % {"status": order.get_status_display()}
                )
            payment = order.payments.get(state=Payment.State.SUCCEEDED)
            refundable = payment.amount_fen - _committed_refunds_fen(order)
            if amount_fen > refundable:
                raise InvalidInput(
                    fields={
                        "amount_fen": [
                            gettext("At most %(fen)d fen can still be refunded on this order.") % {"fen": refundable}
                        ]
                    }
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
        state = submit_refund(refund, gateway)
    except GatewayRejected as exc:
        logger.warning("refund %s refused by WeChat Pay: %s", refund.out_refund_no, exc.message)
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
        order = order_actions.lock(refund.order_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.PENDING:
            return False
        refund.refund_id = state.refund_id or refund.refund_id
        if state.status == "SUCCESS":
            refund.state, refund.settled_at = Refund.State.SUCCEEDED, state.success_time or timezone.now()
            order_actions.record_refund(order, refund.amount_fen)
        elif state.status in ("CLOSED", "ABNORMAL"):
            refund.state, refund.settled_at = Refund.State.FAILED, timezone.now()
            logger.error("refund %s ended %s at WeChat Pay", refund.out_refund_no, state.status)
        refund.save(update_fields=["refund_id", "state", "settled_at"])
        return refund.state != Refund.State.PENDING


def send_pending_refund(refund_id: int, gateway: PaymentGateway | None = None) -> Refund | None:
    """Submit a pending refund and apply WeChat's answer; a no-op once it is not pending.

    Safe to run any number of times: WeChat refunds one out_refund_no once, and the refund's
    state changes once, under its lock.  GatewayUnavailable means "try again later".
    """
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None or refund.state != Refund.State.PENDING:
        return refund
    apply_refund_state(refund, submit_refund(refund, gateway or get_gateway()))
    refund.refresh_from_db()
    return refund


def sync_refund(refund: Refund, gateway: PaymentGateway | None = None) -> Refund:
    """Settle a pending refund from WeChat's records; one WeChat never received is submitted again
    (same out_refund_no, so WeChat refunds it once however often this runs)."""
    gateway = gateway or get_gateway()
    state = gateway.query_refund(refund.out_refund_no)
    if state is None:
        state = submit_refund(refund, gateway)
    problems = refund_disagreements(refund, state, check_merchant=False)  # a refund query names no merchant
    if problems:
        logger.error("refund %s: WeChat's record disagrees with ours: %s", refund.out_refund_no, "; ".join(problems))
    else:
        apply_refund_state(refund, state)
    refund.refresh_from_db()
    return refund
