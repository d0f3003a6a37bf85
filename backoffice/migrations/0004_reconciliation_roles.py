"""Managers and owners see the reconciliation and resolve its discrepancies (backoffice.roles)."""

from django.db import migrations

from backoffice.migrations import _roles


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0003_recognition_review"),
        ("reconciliation", "0001_initial"),
    ]

    operations = [migrations.RunPython(_roles.sync, migrations.RunPython.noop)]
