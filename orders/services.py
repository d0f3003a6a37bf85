"""Order rules: pricing from the catalog and atomic stock reservation (state changes: ``actions``).

Prices never come from the client: a line names a SKU and a quantity, and the server
copies the catalog's current price onto the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Customer
from catalog.models import Product, Store
from smart_container.errors import InvalidInput

from .errors import OutOfStock
from .models import Order, OrderLine

MAX_LINES = 100
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


def _merge(lines: Iterable[LineRequest]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return merged


@transaction.atomic
def create_order(*, customer: Customer, store: Store, lines: Iterable[LineRequest]) -> Order:
    """Create an order priced by the server and reserve its stock, all or nothing.

    Stock is taken with one conditional UPDATE per product (``stock >= qty``), so two
    concurrent orders for the last unit cannot both succeed, on PostgreSQL or SQLite.
    Products are handled in SKU order so concurrent orders lock rows in the same order.
    """
    quantities = _merge(lines)
    if not quantities:
        raise InvalidInput(fields={"lines": ["An order needs at least one line."]})
    if len(quantities) > MAX_LINES:
        raise InvalidInput(fields={"lines": [f"At most {MAX_LINES} different products per order."]})
    for sku, quantity in quantities.items():
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(fields={"lines": [f"{sku}: quantity must be between 1 and {MAX_QUANTITY}."]})
    if not store.is_active:
        raise InvalidInput(fields={"store": [f"Store {store.code} is not open for checkout."]})

    products = {p.sku: p for p in Product.objects.filter(sku__in=quantities.keys(), is_active=True)}
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise InvalidInput(fields={"lines": [f"Unknown or inactive SKU: {', '.join(missing)}."]})

    for sku in sorted(quantities):
        taken = Product.objects.filter(pk=products[sku].pk, stock__gte=quantities[sku]).update(
            stock=F("stock") - quantities[sku]
        )
        if not taken:
            raise OutOfStock(fields={"lines": [f"{sku}: only {Product.objects.get(pk=products[sku].pk).stock} left."]})

    order = Order.objects.create(
        customer=customer,
        store=store,
        expires_at=timezone.now() + timedelta(seconds=settings.ORDER_PAYMENT_TIMEOUT_SECONDS),
    )
    order_lines = [
        OrderLine(
            order=order,
            product=products[sku],
            sku=sku,
            name=products[sku].name,
            unit_price_fen=products[sku].price_fen,
            quantity=quantity,
            subtotal_fen=products[sku].price_fen * quantity,
        )
        for sku, quantity in sorted(quantities.items())
    ]
    OrderLine.objects.bulk_create(order_lines)
    order.total_fen = sum(line.subtotal_fen for line in order_lines)
    order.save(update_fields=["total_fen"])
    return order
