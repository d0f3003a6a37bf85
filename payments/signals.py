"""Payment reactions queued once their transaction commits: WeChat is never called inside it."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from .refunds import refund_due
from .tasks import submit_refund


@receiver(refund_due, dispatch_uid="payments_refund_due")
def refund_task_after_commit(sender, refund_id: int, **kwargs) -> None:
    # robust: a broker hiccup (or, embedded, WeChat down for the in-process task) must not fail the
    # notification that committed; the refund stays pending and sync_pending_refunds sends it later.
    transaction.on_commit(lambda: submit_refund.delay(refund_id), robust=True)
