#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smart_container.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    # A fresh clone has no compiled catalogues (build output): compile them before Django reads
    # any, or rundemo and runserver would serve English until the next start (polib, no gettext).
    from smart_container.catalogues import compile_stale_catalogues

    compile_stale_catalogues(Path(__file__).resolve().parent / "locale")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
