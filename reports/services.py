"""Writing the nightly per-store sales rows."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from catalog.models import Store

from .models import DailySalesSummary
from .queries import Period, Sales, live_sales_by_store_day


@transaction.atomic
def summarize_day(day: date) -> list[DailySalesSummary]:
    """Write (or rewrite) one row per store for local ``day``; running it twice changes nothing.

    Every store gets a row, zeros included, so "this day is summarised" is simply "it has rows".
    """
    live = live_sales_by_store_day(Period(day, day))
    rows = []
    for store in Store.objects.order_by("pk"):
        sales = live.get((store.pk, day), Sales())
        row, _ = DailySalesSummary.objects.update_or_create(
            store=store,
            day=day,
            defaults={
                "orders": sales.orders,
                "items": sales.items,
                "gross_fen": sales.gross_fen,
                "refunded_fen": sales.refunded_fen,
            },
        )
        rows.append(row)
    return rows
