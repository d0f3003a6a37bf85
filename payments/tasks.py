"""Payment housekeeping on the ``payments`` queue."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from orders.models import Refund

from . import expiry, refunds
from .gateway import GatewayRejected, GatewayUnavailable


# The name predates the task's move from orders (which must not call payments): beat rows and
# queued messages carry it, so it stays.
@shared_task(name="orders.tasks.close_expired_orders")
def close_expired_orders() -> int:
    """Close unpaid orders past their expiry (settling any WeChat prepay first); returns how many."""
    return expiry.close_expired_orders()


@shared_task(name="payments.tasks.sync_pending_refunds")
def sync_pending_refunds(older_than_seconds: int = 60) -> int:
    """Settle refunds whose notification never came, by asking WeChat Pay; returns how many settled."""
    settled = 0
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    for refund in Refund.objects.filter(state=Refund.State.PENDING, created_at__lte=cutoff).iterator():
        try:
            settled += refunds.sync_refund(refund).state != Refund.State.PENDING
        except (GatewayUnavailable, GatewayRejected):
            continue
    return settled
