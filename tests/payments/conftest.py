"""Payment fixtures: the payment tasks (the late payment's refund) run in-process, as in the
embedded default, also when the suite runs with REDIS_URL (no payments worker is started here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _payment_tasks_in_process() -> Iterator[None]:
    from payments.tasks import submit_refund

    conf = submit_refund.app.conf
    before = conf.task_always_eager
    conf.CELERY_TASK_ALWAYS_EAGER = True  # the Django-namespaced key is the one Celery reads here
    yield
    conf.CELERY_TASK_ALWAYS_EAGER = before
