"""Stored sales figures: one row per store per local day, written by the nightly task."""

from __future__ import annotations

from django.db import models


class DailySalesSummary(models.Model):
    """A closed day's sales for one store, so the dashboard need not re-scan old orders.

    Sales count on the local day an order was paid; refunds on the local day they settled,
    so a refund made today never rewrites yesterday's row.
    """

    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="daily_sales")
    day = models.DateField(help_text="Local calendar day (REPORTS_TIME_ZONE).")
    orders = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    gross_fen = models.PositiveBigIntegerField(default=0)
    refunded_fen = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "store_id"]
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="daily_sales_unique_store_day")]
        verbose_name_plural = "daily sales summaries"

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}: {self.gross_fen} fen"

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.refunded_fen
