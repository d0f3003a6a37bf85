"""Running the recognition engine on a stored checkout photo (inside the Celery task)."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from recognition import runtime
from recognition.engine.images import ImageError

from . import lifecycle, services
from .models import Recognition

logger = logging.getLogger(__name__)


def run_recognition(recognition_id: str) -> str:
    """Recognise a pending photo with this process's models and live gallery; returns the status.

    Idempotent: a redelivered task finds the recognition finished and does nothing.  Database
    errors propagate (the task retries them); everything else ends the recognition.
    """
    from gallery.live import current_gallery  # loads the gallery on first use

    recognition = Recognition.objects.filter(pk=recognition_id).first()
    if recognition is None or recognition.status != Recognition.Status.PENDING:
        return recognition.status if recognition else "gone"
    lifecycle.touch_started(recognition_id)
    with recognition.photo.open("rb") as fh:
        data = fh.read()
    try:
        result = runtime.recognize_bytes(data, current_gallery()).to_dict()
    except ImageError as exc:
        return lifecycle.fail(recognition, Recognition.Failure.BAD_IMAGE, f"The photo could not be decoded: {exc}")
    except SoftTimeLimitExceeded:
        logger.error("recognition %s: over the task's time limit", recognition_id)
        return lifecycle.fail(recognition, Recognition.Failure.TIMEOUT)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # models missing, gallery broken: logged for operators, the customer can retry later
        logger.exception("recognition %s failed", recognition_id)
        return lifecycle.fail(recognition, Recognition.Failure.ENGINE)
    recognition.lines, recognition.unknown = services.price_result(result)
    recognition.result = result
    services.reprice(recognition)
    recognition.status = Recognition.Status.DONE
    return lifecycle.finish(recognition, ["lines", "unknown", "result", "total_fen", "min_confidence", "unsure"])
