"""The order's own state changes: paid, refunded, closed.

Other apps (payments) call these instead of writing an order's status themselves, so the
state machine (``Order.TRANSITIONS``), the timestamps and the stock hand-back live in one place.
``mark_paid`` and ``record_refund`` take an order locked by ``lock`` inside the caller's
transaction (the caller then locks its own rows: order first, the one lock order everywhere);
``close`` takes its own lock.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Product

from .models import Order


def lock(order_id) -> Order:
    """The order row, locked until the caller's transaction ends."""
    return Order.objects.select_for_update().get(pk=order_id)


def mark_paid(order: Order, *, paid_at: datetime) -> bool:
    """Record that a locked order was paid; False when it can no longer be (closed meanwhile)."""
    if not order.can_transition_to(Order.Status.PAID):
        return False
    order.transition_to(Order.Status.PAID)
    order.paid_at = paid_at
    order.save(update_fields=["status", "paid_at"])
    return True


def record_refund(order: Order, amount_fen: int) -> None:
    """Add a settled refund to a locked order.  A closed order (its late payment refunded) stays closed."""
    order.refunded_fen += amount_fen
    if order.status != Order.Status.CLOSED:
        fully = order.refunded_fen >= order.total_fen
        order.transition_to(Order.Status.REFUNDED if fully else Order.Status.PARTIALLY_REFUNDED)
    order.save(update_fields=["refunded_fen", "status"])


@transaction.atomic
def close(order: Order) -> bool:
    """Close an unpaid order and give its stock back.  Returns False if it was not open.

    The status row is locked first, so a payment arriving at the same moment either wins
    (order stays paid) or finds the order closed; never both.
    """
    locked = lock(order.pk)
    if locked.status != Order.Status.CREATED:
        return False
    locked.transition_to(Order.Status.CLOSED)
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    for line in locked.lines.exclude(product=None):
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
    return True
