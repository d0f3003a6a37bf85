"""Payment housekeeping on the ``payments`` queue."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from orders.models import Refund

from . import expiry, refunds
from .gateway import GatewayRejected, GatewayUnavailable
from .wechatpay import get_gateway

logger = logging.getLogger(__name__)


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


@shared_task(name="payments.tasks.submit_refund", bind=True, max_retries=None)
def submit_refund(self, refund_id: int) -> str | None:
    """Send a pending refund to WeChat Pay (a late payment's, queued after its notification was
    answered); retried with exponential backoff while WeChat is unavailable.  Idempotent.

    Run in-process (embedded mode) it is tried once: sync_pending_refunds sends it later.
    """
    try:
        refund = refunds.send_pending_refund(refund_id)
    except GatewayRejected as exc:  # WeChat refused it: retrying the same request will not help
        logger.error("refund %s refused by WeChat Pay, left to sync_pending_refunds: %s", refund_id, exc.message)
        return None
    except GatewayUnavailable as exc:
        attempt = self.request.retries
        if self.request.is_eager or attempt >= settings.WECHATPAY_TASK_MAX_RETRIES:
            logger.warning("refund %s not sent (%s); sync_pending_refunds retries it", refund_id, exc.message)
            return None
        delay = min(settings.WECHATPAY_TASK_RETRY_MAX_SECONDS, settings.WECHATPAY_TASK_RETRY_SECONDS * 2**attempt)
        raise self.retry(exc=exc, countdown=delay) from exc
    return None if refund is None else refund.state


@shared_task(name="payments.tasks.refresh_platform_certificates")
def refresh_platform_certificates() -> int:
    """Download WeChat Pay's platform certificates (certificate mode) before the ones we hold
    expire; returns how many WeChat listed (0 in public-key mode)."""
    if "certificate" not in settings.WECHATPAY_KEY_MODES:
        return 0
    return len(get_gateway().keys.refresh())
