"""Role groups re-synced to backoffice.roles by a migration that adds permissions."""

from django.contrib.auth.management import create_permissions


def sync(apps, schema_editor):
    from backoffice.roles import sync_role_groups

    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
