"""Payment fixtures: the payment tasks run in-process in every payments test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _payment_tasks_in_process(payment_tasks_in_process) -> None:
    """See ``tests.wechat_fixtures.payment_tasks_in_process``."""
