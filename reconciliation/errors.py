"""What reconciling refuses."""

from __future__ import annotations

from smart_container.errors import InvalidInput, ProviderError


class BillFormatError(ProviderError):
    code = "bill_format"
    message = "WeChat Pay's bill is not in the documented format."


class BillHashMismatch(ProviderError):
    code = "bill_hash_mismatch"
    message = "The downloaded bill does not match the SHA-1 WeChat Pay announced; it was refused."


class DayNotReconcilable(InvalidInput):
    code = "invalid_day"
    message = "That day cannot be reconciled."
