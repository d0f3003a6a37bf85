"""Recognition.customer points at accounts.Customer (same table; state only); the engine's result is
now called RecognitionResult (help text)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("checkout", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="recognition",
                    name="customer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="recognitions", to="accounts.customer"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="recognition",
            name="result",
            field=models.JSONField(
                blank=True, default=dict, help_text="The engine's raw answer (RecognitionResult.to_dict())."
            ),
        ),
    ]
