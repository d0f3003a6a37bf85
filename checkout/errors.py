"""What checkout refuses (application errors: see smart_container.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from smart_container.errors import Conflict, TooLarge


class UploadTooLarge(TooLarge):
    code = "too_large"
    message = gettext_lazy("The photo is too large.")


class CartLocked(Conflict):
    code = "cart_locked"
    message = gettext_lazy("This cart can no longer be changed.")
