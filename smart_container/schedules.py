"""The periodic tasks Celery beat runs (every app's), stored as django-celery-beat rows staff can edit.

Tasks are named, not imported: the project lists what runs when without importing any app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    crontab: dict  # minute, hour, day_of_week, day_of_month, month_of_year
    description: str


SCHEDULES = [
    Schedule(
        "gallery: nightly compaction",
        "gallery.tasks.compact",
        {"minute": "30", "hour": "3"},
        "Every worker rebuilds its index from the database (new generation).",
    ),
    Schedule(
        "gallery: consistency check",
        "gallery.tasks.check_consistency",
        {"minute": "*/30"},
        "Compare what each worker serves with the database; reload all on a mismatch.",
    ),
    Schedule(
        "gallery: re-embed stale photos",
        "gallery.tasks.reembed_stale",
        {"minute": "15"},
        "Queue photos not embedded by the current model (also runs at worker start).",
    ),
    Schedule(
        "orders: close expired unpaid orders",
        "orders.tasks.close_expired_orders",
        {"minute": "*"},
        "Close orders left unpaid past ORDER_PAYMENT_TIMEOUT_SECONDS and release their stock.",
    ),
    Schedule(
        "checkout: end overdue recognitions",
        "checkout.tasks.sweep_recognitions",
        {"minute": "*"},
        "Send again recognitions left untouched (lost with a worker), fail those past their deadline.",
    ),
    Schedule(
        "payments: settle pending refunds",
        "payments.tasks.sync_pending_refunds",
        {"minute": "*/5"},
        "Ask WeChat Pay about refunds whose notification never came; settle or resubmit them.",
    ),
    Schedule(
        "reconciliation: yesterday against WeChat Pay's bills",
        "reconciliation.tasks.reconcile_yesterday",
        {"minute": "30", "hour": "10"},
        "WeChat makes a day's bills from 09:00 the next day; match them to our payments and refunds.",
    ),
    Schedule(
        "payments: refresh platform certificates",
        "payments.tasks.refresh_platform_certificates",
        {"minute": "7", "hour": "*/6"},
        "Certificate mode: download WeChat Pay's platform certificates so a new one is held before the old expires.",
    ),
    Schedule(
        "reports: daily sales summary",
        "reports.tasks.daily_sales_summary",
        {"minute": "10", "hour": "0"},
        "Yesterday's sales, per store.",
    ),
]


@transaction.atomic
def install_schedules(*, reset: bool = False) -> list[tuple[str, str]]:
    """Create the missing schedules; keep staff's edits (timing, enabled) unless ``reset``.

    Returns (name, "created" | "kept" | "reset") per schedule.  Idempotent.
    """
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    done = []
    for schedule in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            timezone=settings.CELERY_TIMEZONE,
            **{"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
            | schedule.crontab,
        )
        task = PeriodicTask.objects.filter(name=schedule.name).first()
        if task is None:
            PeriodicTask.objects.create(
                name=schedule.name, task=schedule.task, crontab=crontab, description=schedule.description
            )
            done.append((schedule.name, "created"))
            continue
        task.task = schedule.task
        task.description = schedule.description
        if reset:
            task.crontab, task.interval, task.solar, task.clocked, task.enabled = crontab, None, None, None, True
        task.save()
        done.append((schedule.name, "reset" if reset else "kept"))
    return done
