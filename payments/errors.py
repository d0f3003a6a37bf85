"""What paying and refunding refuse (application errors: see smart_container.errors)."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from smart_container.errors import Conflict, InvalidInput, Unavailable


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    message = gettext_lazy("This order cannot be paid.")


class RefundConflict(Conflict):
    code = "refund_conflict"
    message = gettext_lazy("This refund conflicts with the order's refunds so far.")


class GatewayUnavailable(Unavailable):
    """The provider could not be reached or answered nonsense: try again later."""

    code = "payment_unavailable"
    message = gettext_lazy("The payment service is unavailable; try again in a moment.")


class GatewayRejected(Conflict):
    """The provider refused the request (its code and message are kept)."""

    code = "payment_rejected"

    def __init__(self, provider_code: str, message: str, http_status: int):
        super().__init__(
            gettext("Payment provider refused: %(code)s: %(message)s") % {"code": provider_code, "message": message}
        )
        self.provider_code, self.provider_status = provider_code, http_status


class NotificationRejected(InvalidInput):
    """A notification we will not act on: forged, stale, replayed, undecryptable or mismatched."""

    code = "notification_rejected"
    message = gettext_lazy("The payment notification was rejected.")
