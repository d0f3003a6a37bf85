"""The back office stores nothing of its own; this only declares its permissions."""

from __future__ import annotations

from django.db import models


class BackOffice(models.Model):
    """Holder for back-office permissions that belong to no single model (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the sales dashboard"),
            ("export_orders", "Can export orders as CSV"),
            ("review_recognitions", "Can review recognitions and add crops to the gallery"),
            ("view_gallery_status", "Can see the gallery status"),
            ("view_audit_log", "Can see the audit log"),
            ("manage_staff", "Can add staff and change their roles"),
        ]
