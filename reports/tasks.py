"""Celery tasks for reports (queue ``reports``).  Beat runs ``daily_sales_summary`` nightly."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from .queries import local_today
from .services import summarize_day


@shared_task(name="reports.tasks.daily_sales_summary")
def daily_sales_summary(day: str | None = None) -> dict:
    """Summarise local ``day`` (ISO date; default: yesterday) for every store.  Idempotent."""
    target = date.fromisoformat(day) if day else local_today() - timedelta(days=1)
    rows = summarize_day(target)
    return {"day": target.isoformat(), "stores": len(rows), "gross_fen": sum(r.gross_fen for r in rows)}
