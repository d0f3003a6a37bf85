"""What ordering refuses (application errors: see smart_container.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from smart_container.errors import Conflict


class OutOfStock(Conflict):
    """Stock cannot cover a line."""

    code = "out_of_stock"
    message = gettext_lazy("Not enough stock for this order.")


class TooManyOpenOrders(Conflict):
    """The customer already holds ``ORDERS_MAX_OPEN_PER_CUSTOMER`` unpaid orders (each reserves stock)."""

    code = "too_many_open_orders"
