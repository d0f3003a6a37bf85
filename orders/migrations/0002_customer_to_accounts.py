"""Customer now belongs to accounts (same table, orders_customer; state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("checkout", "0002_customer_in_accounts"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="customer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="orders", to="accounts.customer"
                    ),
                ),
                migrations.DeleteModel(name="Customer"),
            ],
            database_operations=[],
        ),
    ]
