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
from django.utils.translation import gettext

from accounts.models import Customer
from catalog.models import Product, Store
from smart_container.errors import InvalidInput

from .errors import OutOfStock, TooManyOpenOrders
from .models import Order, OrderLine

MAX_LINES = 100
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


def refuse_over_total(total_fen: int, *, field: str) -> None:
    """400 naming ``field`` when a sum would pass ``MAX_ORDER_TOTAL_FEN`` (the largest order total)."""
    if total_fen > settings.MAX_ORDER_TOTAL_FEN:
        message = gettext("This would total %(total)d fen; an order may total at most %(most)d fen.") % {
            "total": total_fen,
            "most": settings.MAX_ORDER_TOTAL_FEN,
        }
        raise InvalidInput(fields={field: [message]}, code="total_too_large")


def _refuse_too_many_open(customer: Customer) -> None:
    """409 when the customer already holds the most unpaid orders allowed (stock they reserve)."""
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one order at a time per customer
    held = Order.objects.filter(customer=customer, status=Order.Status.CREATED, expires_at__gt=timezone.now())
    if held.count() >= settings.ORDERS_MAX_OPEN_PER_CUSTOMER:
        message = gettext("You already have %(count)d unpaid orders: pay or wait for one to expire.") % {
            "count": settings.ORDERS_MAX_OPEN_PER_CUSTOMER
        }
        raise TooManyOpenOrders(message)


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
        raise InvalidInput(fields={"lines": [gettext("An order needs at least one line.")]})
    if len(quantities) > MAX_LINES:
        raise InvalidInput(
            fields={"lines": [gettext("At most %(most)d different products per order.") % {"most": MAX_LINES}]}
        )
    for sku, quantity in quantities.items():
        if not 1 <= quantity <= MAX_QUANTITY:
            message = gettext("%(sku)s: quantity must be between 1 and %(most)d.") % {"sku": sku, "most": MAX_QUANTITY}
            raise InvalidInput(fields={"lines": [message]})
    if not store.is_active:
        raise InvalidInput(
            fields={"store": [gettext("Store %(store)s is not open for checkout.") % {"store": store.code}]}
        )

    products = {p.sku: p for p in Product.objects.filter(sku__in=quantities.keys(), is_active=True)}
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise InvalidInput(
            fields={"lines": [gettext("Unknown or inactive SKU: %(skus)s.") % {"skus": ", ".join(missing)}]}
        )
    refuse_over_total(sum(products[sku].price_fen * qty for sku, qty in quantities.items()), field="lines")
    _refuse_too_many_open(customer)

    for sku in sorted(quantities):
        taken = Product.objects.filter(pk=products[sku].pk, stock__gte=quantities[sku]).update(
            stock=F("stock") - quantities[sku]
        )
        if not taken:
            left = Product.objects.get(pk=products[sku].pk).stock
            raise OutOfStock(fields={"lines": [gettext("%(sku)s: only %(count)d left.") % {"sku": sku, "count": left}]})

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
