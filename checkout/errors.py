"""What checkout refuses (application errors: see smart_container.errors)."""

from __future__ import annotations

from smart_container.errors import Conflict, TooLarge


class UploadTooLarge(TooLarge):
    code = "too_large"


class CartLocked(Conflict):
    code = "cart_locked"
