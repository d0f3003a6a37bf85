"""A recognition always ends: done, or failed with a reason the client can act on.

* ``queue`` sends the task (with an expiry at the deadline) and marks the row as touched; a
  broker that cannot take it fails the recognition at once ("unavailable") and the request
  answers 503.
* ``wait`` watches the database row, never the result backend, so the view's wait is
  ``CHECKOUT_RECOGNIZE_WAIT_SECONDS`` whatever Redis does.
* ``enforce_deadline`` is the watchdog, run on every poll of a pending recognition and by the
  beat sweep: a recognition left untouched for ``CHECKOUT_RECOGNITION_REQUEUE_SECONDS`` (its
  message was lost with a killed worker or a flushed Redis) is sent again, and one still
  pending ``CHECKOUT_RECOGNITION_DEADLINE_SECONDS`` after the upload is failed ("timeout").

Every outcome is stored by ``finish``/``fail`` under the row lock and only while pending, so
late or duplicate deliveries change nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from smart_container.api import REDIS_ERRORS

from .models import Recognition

logger = logging.getLogger(__name__)

# What the customer is told, in the language of the request that asks (``failure_message``);
# ``Recognition.error`` keeps the English record, with the decoder's own words for a bad photo.
MESSAGES = {
    Recognition.Failure.BAD_IMAGE: gettext_lazy("The photo could not be decoded; please take another photo."),
    Recognition.Failure.UNAVAILABLE: gettext_lazy("Recognition is unavailable right now; try again in a few seconds."),
    Recognition.Failure.TIMEOUT: gettext_lazy("Recognition took too long; please take the photo again."),
    Recognition.Failure.ENGINE: gettext_lazy("Recognition is unavailable right now; try again soon."),
}


def failure_message(recognition: Recognition) -> str:
    """Why the recognition failed, for the customer, in the active language ("" if it did not)."""
    if recognition.status != Recognition.Status.FAILED:
        return ""
    message = MESSAGES.get(recognition.failure)
    return str(message) if message is not None else recognition.error


def deadline_of(recognition: Recognition):
    """When a pending recognition will have ended at the latest."""
    return recognition.created_at + timedelta(seconds=settings.CHECKOUT_RECOGNITION_DEADLINE_SECONDS)


def finish(recognition: Recognition, fields: list[str]) -> str:
    """Store the outcome unless another delivery of the task got there first; returns the stored status.

    With ``acks_late`` a task can run twice at once: the later one must not overwrite the cart
    the customer has since corrected, or ordered, with a fresh one.
    """
    with transaction.atomic():
        stored = Recognition.objects.select_for_update().only("status").get(pk=recognition.pk)
        if stored.status != Recognition.Status.PENDING:
            return stored.status
        recognition.completed_at = timezone.now()
        recognition.save(update_fields=[*fields, "status", "completed_at", "updated_at"])
    return recognition.status


def fail(recognition: Recognition, failure: str, message: str | None = None) -> str:
    recognition.status, recognition.failure = Recognition.Status.FAILED, failure
    with translation.override("en"):
        recognition.error = str(message or MESSAGES[failure])[:300]
    return finish(recognition, ["failure", "error"])


def _send(recognition: Recognition) -> None:
    from .tasks import recognize_photo

    recognize_photo.apply_async(args=[str(recognition.pk)], expires=deadline_of(recognition))


def queue(recognition: Recognition) -> None:
    """Send the recognition to a worker; if the broker cannot take it, fail it and re-raise (503)."""
    try:
        _send(recognition)
    except REDIS_ERRORS:
        fail(recognition, Recognition.Failure.UNAVAILABLE)
        raise


def wait(recognition: Recognition, seconds: float) -> Recognition:
    """The recognition once it has ended, or still pending after ``seconds`` (read from the database)."""
    deadline = time.monotonic() + seconds
    pause = 0.02
    while True:
        status = Recognition.objects.filter(pk=recognition.pk).values_list("status", flat=True).first()
        left = deadline - time.monotonic()
        if status != Recognition.Status.PENDING or left <= 0:
            break
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, 0.2)
    recognition.refresh_from_db()
    return recognition


def enforce_deadline(recognition: Recognition) -> Recognition:
    """The watchdog for one recognition: fail it past the deadline, re-send it if left untouched."""
    if recognition.status != Recognition.Status.PENDING:
        return recognition
    now = timezone.now()
    if now >= deadline_of(recognition):
        fail(recognition, Recognition.Failure.TIMEOUT)
        logger.warning("recognition %s: still pending at its deadline; failed", recognition.pk)
    elif now - recognition.updated_at >= timedelta(seconds=settings.CHECKOUT_RECOGNITION_REQUEUE_SECONDS):
        # Claim the re-send (one poller or sweep wins), then send; a broker still down is logged
        # and the deadline ends the recognition anyway.
        claimed = Recognition.objects.filter(
            pk=recognition.pk, status=Recognition.Status.PENDING, updated_at=recognition.updated_at
        ).update(updated_at=now)
        if claimed:
            logger.warning("recognition %s: untouched for %s; sent again", recognition.pk, now - recognition.updated_at)
            try:
                _send(recognition)
            except Exception as exc:
                logger.warning("recognition %s: could not send it again: %s", recognition.pk, exc)
    recognition.refresh_from_db()
    return recognition


def sweep(limit: int = 500) -> dict[str, int]:
    """Beat: apply the watchdog to pending recognitions nobody is polling."""
    cutoff = timezone.now() - timedelta(seconds=settings.CHECKOUT_RECOGNITION_REQUEUE_SECONDS)
    pending = Recognition.objects.filter(status=Recognition.Status.PENDING, updated_at__lte=cutoff)
    outcome = {"checked": 0, "failed": 0}
    for recognition in pending.order_by("updated_at")[:limit]:
        outcome["checked"] += 1
        outcome["failed"] += enforce_deadline(recognition).status == Recognition.Status.FAILED
    return outcome


def touch_started(recognition_id: str) -> None:
    """The task has started: the watchdog's re-send clock restarts from now."""
    Recognition.objects.filter(pk=recognition_id, status=Recognition.Status.PENDING).update(updated_at=timezone.now())
