"""A recognition always ends: the watchdog re-sends a lost one and fails one past its deadline;
a transient database error inside the task is retried.  In-process (tasks eager); the real
worker processes are killed in tests/faults/test_outages.py."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from checkout import lifecycle, services
from checkout.models import Recognition
from checkout.tasks import recognize_photo
from tests.checkout.conftest import engine_settings, gallery_products  # noqa: F401 - fixtures
from tests.recognition.conftest import encode, models, scene  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager(engine_settings):  # noqa: F811 - fixture
    conf = recognize_photo.app.conf
    before = conf.task_always_eager
    conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    conf.CELERY_TASK_ALWAYS_EAGER = before


@pytest.fixture
def lost(customer, store, engine_settings):  # noqa: F811 - fixtures
    """A pending recognition whose message never reached a worker (killed worker, flushed Redis)."""
    return services.create_recognition(customer=customer, store=store, data=encode(scene()))


def _age(recognition: Recognition, **since) -> None:
    """Move the recognition's clocks back, as if it had been uploaded / last touched that long ago."""
    fields = {name: timezone.now() - timedelta(seconds=seconds) for name, seconds in since.items()}
    Recognition.objects.filter(pk=recognition.pk).update(**fields)


def poll(api, recognition):
    return api.get(f"/api/v1/checkout/recognitions/{recognition.pk}").json()


def test_a_poll_leaves_a_fresh_pending_recognition_alone(api, eager, lost, gallery_products):  # noqa: F811
    body = poll(api, lost)
    assert body["status"] == "pending"


def test_a_poll_resends_a_recognition_left_untouched_and_it_completes(api, eager, lost, gallery_products, settings):  # noqa: F811
    _age(lost, created_at=20, updated_at=settings.CHECKOUT_RECOGNITION_REQUEUE_SECONDS + 1)
    body = poll(api, lost)
    assert body["status"] == "done", body
    assert body["total_fen"] == 2 * 350 + 1200


def test_a_recognition_past_its_deadline_fails_with_a_reason(api, eager, lost, settings):
    _age(lost, created_at=settings.CHECKOUT_RECOGNITION_DEADLINE_SECONDS + 1, updated_at=1)
    body = poll(api, lost)
    assert body["status"] == "failed" and body["failure"] == "timeout"
    assert body["error"] == "Recognition took too long; please take the photo again."


def test_the_beat_sweep_ends_recognitions_nobody_polls(eager, lost, customer, store, settings):
    overdue = services.create_recognition(customer=customer, store=store, data=encode(scene()))
    _age(overdue, created_at=settings.CHECKOUT_RECOGNITION_DEADLINE_SECONDS + 1, updated_at=30)
    assert lifecycle.sweep() == {"checked": 1, "failed": 1}  # the fresh one is not even looked at
    assert Recognition.objects.get(pk=overdue.pk).failure == "timeout"
    assert Recognition.objects.get(pk=lost.pk).status == "pending"


def test_a_late_delivery_does_not_undo_the_deadline(eager, lost, settings):
    _age(lost, created_at=settings.CHECKOUT_RECOGNITION_DEADLINE_SECONDS + 1)
    lifecycle.enforce_deadline(Recognition.objects.get(pk=lost.pk))
    assert recognize_photo.apply(args=[str(lost.pk)]).get() == "failed"
    assert Recognition.objects.get(pk=lost.pk).failure == "timeout"


@pytest.mark.skipif("postgres" not in connection.settings_dict["ENGINE"], reason="kills a PostgreSQL backend")
def test_a_database_connection_lost_after_inference_is_retried(api, eager, gallery_products):  # noqa: F811
    """Before: OperationalError in price_result failed the task for good; the row stayed pending."""
    killed = []

    def kill_own_backend_once(execute, sql, params, many, context):
        if not killed and "catalog_product" in sql and "SELECT" in sql:
            pid = context["connection"].connection.info.backend_pid
            settings_dict = connection.settings_dict
            with psycopg.connect(
                host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                dbname=settings_dict["NAME"], autocommit=True,
            ) as admin:  # fmt: skip
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    from tests.checkout.test_recognize_inprocess import recognize

    with connection.execute_wrapper(kill_own_backend_once):
        response = recognize(api, encode(scene()), "basket.png")
    assert killed, "the pricing query never ran"
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done" and response.json()["total_fen"] == 2 * 350 + 1200
