"""Settings of the node tests' second server: recognition on a real Celery worker process, with
no Redis either (a filesystem broker and result store in the test's var dir), so the recognize
view answers 202 and the mini-program polls, as it does when production workers are busy."""

from __future__ import annotations

import os

from smart_container.settings import *  # noqa: F403

_BROKER = os.environ["SC_TEST_BROKER_DIR"]
CELERY_BROKER_URL = "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": f"{_BROKER}/queue",
    "data_folder_out": f"{_BROKER}/queue",
    "control_folder": f"{_BROKER}/control",
}
CELERY_RESULT_BACKEND = f"file://{_BROKER}/results"
CELERY_TASK_ALWAYS_EAGER = False
