"""The Celery app.  Workers run e.g. ``celery -A smart_container worker -Q recognition``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smart_container.settings")

app = Celery("smart_container")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
