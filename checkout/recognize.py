"""Running the recognition engine on a stored checkout photo (inside the Celery task)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from recognition import runtime
from recognition.engine.images import ImageError

from . import services
from .models import Recognition

logger = logging.getLogger(__name__)


def run_recognition(recognition_id: str) -> str:
    """Recognise a pending photo with this process's models and live gallery; returns the status.

    Idempotent: a redelivered task finds the recognition finished and does nothing.
    """
    from gallery.live import current_gallery  # loads the gallery on first use

    recognition = Recognition.objects.filter(pk=recognition_id).first()
    if recognition is None or recognition.status != Recognition.Status.PENDING:
        return recognition.status if recognition else "gone"
    with recognition.photo.open("rb") as fh:
        data = fh.read()
    try:
        result = runtime.recognize_bytes(data, current_gallery()).to_dict()
    except ImageError as exc:
        return _fail(recognition, Recognition.Failure.BAD_IMAGE, f"The photo could not be decoded: {exc}")
    except Exception:  # models missing, gallery broken: logged for operators, the customer can retry later
        logger.exception("recognition %s failed", recognition_id)
        return _fail(recognition, Recognition.Failure.ENGINE, "Recognition is unavailable right now; try again soon.")
    recognition.lines, recognition.unknown = services.price_result(result)
    recognition.result = result
    services.reprice(recognition)
    recognition.status = Recognition.Status.DONE
    return _finish(recognition, ["lines", "unknown", "result", "total_fen", "min_confidence"])


def _fail(recognition: Recognition, failure: str, message: str) -> str:
    recognition.status, recognition.failure, recognition.error = Recognition.Status.FAILED, failure, message
    return _finish(recognition, ["failure", "error"])


def _finish(recognition: Recognition, fields: list[str]) -> str:
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
