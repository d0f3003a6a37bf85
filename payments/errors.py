"""What paying and refunding refuse, with the status the API answers."""

from __future__ import annotations

from rest_framework import exceptions, status


class OrderNotPayable(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "order_not_payable"


class RefundConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refund_conflict"
