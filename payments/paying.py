"""Paying an order: place the prepay at WeChat Pay, confirm the payment once, ask WeChat about it.

Every state change happens under row locks (the order first, then the payment: the order
``orders.actions`` locks in too) and is a no-op when already applied, so duplicate
notifications, client retries and queries racing each other are harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from orders import actions as order_actions
from orders.models import Order, Payment, Refund

from . import refunds
from .checks import transaction_disagreements
from .errors import OrderNotPayable
from .gateway import GatewayRejected, GatewayUnavailable, PaymentGateway
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)


def out_trade_no_for(order: Order) -> str:
    """One merchant order number per order, so a customer can never be charged twice for it."""
    return order.id.hex


def items_description(order: Order) -> str:
    """What the payer's WeChat bill says the payment is for."""
    count = order.lines.count()
    return ngettext("%(store)s %(count)d item", "%(store)s %(count)d items", count) % {
        "store": order.store.name,
        "count": count,
    }


def start_payment(order: Order, gateway: PaymentGateway | None = None) -> dict[str, str]:
    """Place (or re-place: WeChat answers the same prepay id) the prepay order; returns pay params."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer", "store").get(pk=order.pk)
        if order.status != Order.Status.CREATED:
            raise OrderNotPayable(
                gettext('Order is "%(status)s"; only unpaid orders can be paid.')
                % {"status": order.get_status_display()}
            )
        if order.expires_at and order.expires_at <= timezone.now():
            raise OrderNotPayable(gettext("Order has expired; please order again."))
        if order.total_fen < 1:
            raise OrderNotPayable(gettext("Order total is zero; there is nothing to pay."))
        payment, _ = Payment.objects.get_or_create(
            out_trade_no=out_trade_no_for(order), defaults={"order": order, "amount_fen": order.total_fen}
        )
    gateway = gateway or get_gateway()
    try:
        return gateway.prepay(
            out_trade_no=payment.out_trade_no,
            description=items_description(order),
            amount_fen=payment.amount_fen,
            payer_openid=order.customer.openid,
            expires_at=order.expires_at,
        )
    except GatewayRejected as exc:
        if exc.provider_code == "ORDERPAID":
            sync_payment(payment, gateway)
            raise OrderNotPayable(gettext("Order is already paid.")) from exc
        raise


def confirm_payment(
    payment: Payment,
    *,
    transaction_id: str | None,
    paid_at: datetime | None,
) -> bool:
    """Record a confirmed payment exactly once; True only for the call that recorded it.

    A payment landing on an order already closed (expiry racing a last-second payment) is
    refunded in full, once: its refund row is made with the payment's own state change, under
    the same locks, and the order stays closed with its released stock untouched.  Sending that
    refund to WeChat is not done here (a notification must be answered quickly): it is
    announced with ``refunds.refund_due`` and ``payments.tasks.submit_refund`` sends it after
    the commit, retried with backoff; ``payments.tasks.sync_pending_refunds`` is the safety net.
    """
    with transaction.atomic():
        order = order_actions.lock(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state == Payment.State.SUCCEEDED:
            return False
        payment.state = Payment.State.SUCCEEDED
        payment.transaction_id = transaction_id
        payment.paid_at = paid_at or timezone.now()
        payment.save(update_fields=["state", "transaction_id", "paid_at"])
        if not order_actions.mark_paid(order, paid_at=payment.paid_at):
            logger.error("payment %s arrived for order %s in status %s: refunding it", payment, order.pk, order.status)
            late_refund = Refund.objects.create(
                order=order,
                payment=payment,
                out_refund_no=refunds.late_refund_no_for(payment),
                amount_fen=payment.amount_fen,
                reason=f"Order was {order.status} when the payment arrived",
            )
            refunds.refund_due.send(sender=Refund, refund_id=late_refund.pk)
    logger.info("order %s paid (%s, %s fen)", order.pk, transaction_id, payment.amount_fen)
    return True


def sync_payment(payment: Payment, gateway: PaymentGateway | None = None) -> Payment:
    """Ask WeChat about a payment and apply what it says (a client's "I paid" lands here)."""
    gateway = gateway or get_gateway()
    state = gateway.query(payment.out_trade_no)
    if state is None:
        return payment
    problems = transaction_disagreements(payment, state)
    if problems:
        logger.error("query of %s disagrees with our records: %s", payment.out_trade_no, "; ".join(problems))
        raise GatewayUnavailable(gettext("The payment provider's record disagrees with ours; staff have been alerted."))
    if state.paid:
        confirm_payment(payment, transaction_id=state.transaction_id, paid_at=state.success_time)
    elif state.trade_state in ("CLOSED", "REVOKED", "PAYERROR"):
        new_state = Payment.State.CLOSED if state.trade_state != "PAYERROR" else Payment.State.FAILED
        Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(state=new_state)
    payment.refresh_from_db()
    return payment
