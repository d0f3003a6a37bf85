"""Customer moves here from orders; its table (orders_customer) stays where it is."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("app_id", models.CharField(max_length=32)),
                        ("openid", models.CharField(max_length=64)),
                        ("unionid", models.CharField(blank=True, db_index=True, max_length=64, null=True)),
                        ("nickname", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_login_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "orders_customer",
                        "constraints": [
                            models.UniqueConstraint(fields=("app_id", "openid"), name="customer_unique_app_openid")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
