"""Closing unpaid orders past their expiry, settled with WeChat Pay first."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from orders import actions as order_actions
from orders.models import Order, Payment

from .gateway import GatewayRejected, GatewayUnavailable, PaymentGateway
from .paying import sync_payment
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)


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
        closed += order_actions.close(order)
    return closed
