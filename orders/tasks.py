"""Order housekeeping; helper beat schedules run ``orders.tasks.close_expired_orders``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="orders.tasks.close_expired_orders")
def close_expired_orders() -> int:
    """Close unpaid orders past their expiry (settling any WeChat prepay first); returns how many."""
    from payments.services import close_expired_orders as close_with_payments  # payments builds on orders

    return close_with_payments()
