"""Orders as CSV, streamed row by row so a year of orders never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from orders.models import Order
from reports.queries import local_tz

from .templatetags.backoffice import fen_to_yuan

HEADER = [
    "order_id",
    "store",
    "status",
    "created_at",
    "paid_at",
    "items",
    "total_yuan",
    "refunded_yuan",
    "net_yuan",
    "transaction_id",
    "lines",
]


class _Echo:
    """A file-like object whose write() hands the row back to the streaming response."""

    def write(self, value: str) -> str:
        return value


def _local(value) -> str:
    return timezone.localtime(value, local_tz()).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def order_rows(orders: QuerySet[Order]) -> Iterable[list[str]]:
    """One row per order; ``lines`` reads ``2xSKU1; 1xSKU2``.  Prefetches in chunks (no N+1)."""
    for order in orders.select_related("store").prefetch_related("lines", "payments").iterator(chunk_size=500):
        lines = list(order.lines.all())
        paid = [p.transaction_id for p in order.payments.all() if p.transaction_id]
        yield [
            str(order.id),
            order.store.code,
            order.status,
            _local(order.created_at),
            _local(order.paid_at),
            str(sum(line.quantity for line in lines)),
            fen_to_yuan(order.total_fen).replace(",", ""),
            fen_to_yuan(order.refunded_fen).replace(",", ""),
            fen_to_yuan(order.total_fen - order.refunded_fen).replace(",", ""),
            " ".join(paid),
            "; ".join(f"{line.quantity}x{line.sku}" for line in lines),
        ]


def csv_lines(orders: QuerySet[Order]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheet apps then read the Chinese product names right
    yield writer.writerow(HEADER)
    for row in order_rows(orders):
        yield writer.writerow(row)
