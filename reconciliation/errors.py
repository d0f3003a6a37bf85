"""What reconciling refuses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from smart_container.errors import InvalidInput, ProviderError


class BillFormatError(ProviderError):
    code = "bill_format"
    message = gettext_lazy("WeChat Pay's bill is not in the documented format.")


class BillHashMismatch(ProviderError):
    code = "bill_hash_mismatch"
    message = gettext_lazy("The downloaded bill does not match the SHA-1 WeChat Pay announced; it was refused.")


class DayNotReconcilable(InvalidInput):
    code = "invalid_day"
    message = gettext_lazy("That day cannot be reconciled.")
