"""Checkout tasks; ``recognize_photo`` runs on the ``recognition`` queue, where the models live."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from . import lifecycle
from .recognize import run_recognition

logger = logging.getLogger(__name__)


# A transient database error (a restart, a failover, a dropped connection) is retried in the task
# after these pauses; past them the watchdog (checkout.lifecycle) ends the recognition.
DATABASE_RETRY_DELAYS = (0.5, 1.0, 2.0)


@shared_task(
    name="checkout.tasks.recognize_photo",
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker process puts the message back at once
    ignore_result=True,  # the database row is the result: nobody waits on the result backend
    soft_time_limit=settings.CHECKOUT_RECOGNITION_TIME_LIMIT_SECONDS,
    time_limit=settings.CHECKOUT_RECOGNITION_TIME_LIMIT_SECONDS + 5,
)
def recognize_photo(recognition_id: str) -> str:
    for delay in DATABASE_RETRY_DELAYS:
        try:
            return run_recognition(recognition_id)
        except (OperationalError, InterfaceError) as exc:
            logger.warning("recognition %s: database error, retrying in %.1f s: %s", recognition_id, delay, exc)
            close_old_connections()  # drops the broken connection; the next query reconnects
            time.sleep(delay)
    return run_recognition(recognition_id)  # the last attempt: an error now fails the task


@shared_task(name="checkout.tasks.sweep_recognitions")
def sweep_recognitions() -> dict[str, int]:
    """Beat: re-send or fail recognitions left pending (see checkout.lifecycle)."""
    return lifecycle.sweep()
