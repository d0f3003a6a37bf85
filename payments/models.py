"""WeChat Pay platform certificates as downloaded (certificate mode), shared by every process."""

from __future__ import annotations

from django.db import models


class PlatformCertificate(models.Model):
    """One certificate WeChat Pay signs with, decrypted from ``GET /v3/certificates``.

    Kept in the database so every web and worker process verifies with the same set, and a
    certificate one process downloaded is found by the others without another download.
    """

    serial_no = models.CharField(max_length=64, unique=True)  # upper-case hex, as Wechatpay-Serial names it
    certificate_pem = models.TextField()
    effective_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["-expires_at"]

    def __str__(self) -> str:
        return f"{self.serial_no} (expires {self.expires_at:%Y-%m-%d})"
