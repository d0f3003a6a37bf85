"""Celery beat schedules: installed idempotently, staff edits kept, every task name real."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from smart_container.celery import app
from smart_container.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_schedules_is_idempotent_and_keeps_staff_edits():
    call_command("setup_schedules")
    assert PeriodicTask.objects.filter(task__in=[s.task for s in SCHEDULES]).count() == len(SCHEDULES)
    compaction = PeriodicTask.objects.get(task="gallery.tasks.compact")
    assert (compaction.crontab.minute, compaction.crontab.hour) == ("30", "3")
    compaction.enabled = False  # staff turned it off in the admin
    compaction.save()

    call_command("setup_schedules")
    assert PeriodicTask.objects.filter(task__in=[s.task for s in SCHEDULES]).count() == len(SCHEDULES)
    assert PeriodicTask.objects.get(task="gallery.tasks.compact").enabled is False

    call_command("setup_schedules", "--reset")
    assert PeriodicTask.objects.get(task="gallery.tasks.compact").enabled is True


def test_pending_refunds_are_settled_every_five_minutes():
    call_command("setup_schedules")
    refunds = PeriodicTask.objects.get(task="payments.tasks.sync_pending_refunds")
    assert (refunds.crontab.minute, refunds.crontab.hour) == ("*/5", "*")
    assert refunds.enabled


def test_schedules_cover_the_issue():
    tasks = {s.task for s in SCHEDULES}
    assert {"gallery.tasks.compact", "gallery.tasks.check_consistency", "gallery.tasks.reembed_stale"} <= tasks
    assert {
        "orders.tasks.close_expired_orders",
        "payments.tasks.sync_pending_refunds",
        "reports.tasks.daily_sales_summary",
    } <= tasks


@pytest.mark.parametrize("name", sorted({s.task for s in SCHEDULES}))
def test_scheduled_task_is_registered(name):
    """A schedule naming a task that does not exist fails here."""
    app.loader.import_default_modules()
    assert name in app.tasks


def test_every_task_route_names_a_real_task():
    """CELERY_TASK_ROUTES once pointed at a ``recognition.tasks`` module that did not exist."""
    from fnmatch import fnmatchcase

    from django.conf import settings

    app.loader.import_default_modules()
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        matched = [name for name in app.tasks if fnmatchcase(name, pattern)]
        assert matched, f"{pattern} -> {route['queue']} matches no registered task"
    assert app.amqp.router.route({}, "checkout.tasks.recognize_photo")["queue"].name == "recognition"
    assert app.amqp.router.route({}, "gallery.tasks.probe")["queue"].name == "recognition"
    assert app.amqp.router.route({}, "gallery.tasks.embed_image")["queue"].name == "gallery"
    assert app.amqp.router.route({}, "orders.tasks.close_expired_orders")["queue"].name == "payments"
