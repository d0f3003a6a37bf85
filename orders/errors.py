"""What ordering refuses (application errors: see smart_container.errors)."""

from __future__ import annotations

from smart_container.errors import Conflict


class OutOfStock(Conflict):
    """Stock cannot cover a line."""

    code = "out_of_stock"
