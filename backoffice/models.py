"""Back-office state that is recorded nowhere else: which recognitions a person reviewed."""

from __future__ import annotations

from django.conf import settings
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

    def __str__(self) -> str:
        return "back office"


class RecognitionReview(models.Model):
    """A person looked at a flagged recognition; it leaves the review queue."""

    recognition = models.OneToOneField("checkout.Recognition", on_delete=models.CASCADE, related_name="review")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"review of {self.recognition_id}"
