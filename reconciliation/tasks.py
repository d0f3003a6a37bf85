"""The daily reconciliation, run by Celery beat (smart_container.schedules)."""

from __future__ import annotations

import logging

from celery import shared_task

from smart_container.errors import DomainError

from .services import reconcile_day

logger = logging.getLogger(__name__)


@shared_task(name="reconciliation.tasks.reconcile_yesterday")
def reconcile_yesterday() -> str:
    """Yesterday against WeChat's bills; a bill not ready yet is a state the next run retries."""
    try:
        run = reconcile_day()
    except DomainError as exc:
        logger.error("reconciliation of yesterday failed: %s", exc.message)
        return exc.code
    return run.state
