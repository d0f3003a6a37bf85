from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="BackOffice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_dashboard", "Can see the sales dashboard"),
                    ("export_orders", "Can export orders as CSV"),
                    ("review_recognitions", "Can review recognitions and add crops to the gallery"),
                    ("view_gallery_status", "Can see the gallery status"),
                    ("view_audit_log", "Can see the audit log"),
                    ("manage_staff", "Can add staff and change their roles"),
                ],
            },
        ),
    ]
