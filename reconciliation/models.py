"""Reconciliation's records: WeChat's bill files as fetched, one run per day, what it found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Bill(models.Model):
    """One of WeChat's bills of a day, or why there is none (yet): a state, not an error."""

    class Kind(models.TextChoices):
        TRADE = "trade", _("Trade bill")
        FUND_FLOW = "fund_flow", _("Fund-flow bill")

    class State(models.TextChoices):
        READY = "ready", pgettext_lazy("bill state", "Downloaded")
        NOT_YET = "not_yet", pgettext_lazy("bill state", "Not yet available")
        TOO_OLD = "too_old", pgettext_lazy("bill state", "Too old (WeChat keeps 3 months)")
        REFUSED = "refused", pgettext_lazy("bill state", "Refused (hash mismatch or bad format)")

    day = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices)
    hash_value = models.CharField(max_length=40, blank=True)  # SHA-1 of the uncompressed file
    file = models.FileField(upload_to="bills/", blank=True)  # the file as WeChat sent it (gzip)
    detail = models.CharField(max_length=200, blank=True)  # WeChat's words, when it had no bill
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "kind"]
        constraints = [models.UniqueConstraint(fields=["day", "kind"], name="one_bill_per_day_and_kind")]

    def __str__(self) -> str:
        return f"{self.kind} bill {self.day} ({self.state})"


class ReconciliationRun(models.Model):
    """The day's reconciliation: updated in place by each run, so running a day twice changes nothing."""

    class State(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("reconciliation state", "Matched")
        DISCREPANCIES = "discrepancies", pgettext_lazy("reconciliation state", "Discrepancies")
        NOT_AVAILABLE = "not_available", pgettext_lazy("reconciliation state", "Bill not available")

    day = models.DateField(unique=True)
    state = models.CharField(max_length=16, choices=State.choices)
    trade_bill_hash = models.CharField(max_length=40, blank=True)
    fund_flow_bill_hash = models.CharField(max_length=40, blank=True)
    bill_payments = models.PositiveIntegerField(default=0)
    bill_refunds = models.PositiveIntegerField(default=0)
    local_payments = models.PositiveIntegerField(default=0)
    local_refunds = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    gross_fen = models.BigIntegerField(default=0)
    refunds_fen = models.BigIntegerField(default=0)
    fee_fen = models.BigIntegerField(default=0)
    net_fen = models.BigIntegerField(default=0)
    fund_flow_net_fen = models.BigIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"reconciliation {self.day} ({self.state})"


class Discrepancy(models.Model):
    """One item where WeChat's bill and our records disagree, and what was done about it."""

    class Kind(models.TextChoices):
        UNKNOWN_PAYMENT = "unknown_payment", _("Paid at WeChat, unknown here")
        UNPAID_HERE = "unpaid_here", _("Paid at WeChat, unpaid here")
        MISSING_FROM_BILL = "missing_from_bill", _("Paid here, absent from the bill")
        AMOUNT_DIFFERS = "amount_differs", _("Amount differs")
        STATE_DIFFERS = "state_differs", _("State differs")
        UNKNOWN_REFUND = "unknown_refund", _("Refund at WeChat, unknown here")
        REFUND_UNSETTLED_HERE = "refund_unsettled_here", _("Refund settled at WeChat, pending here")
        REFUND_MISSING_FROM_BILL = "refund_missing_from_bill", _("Refund settled here, absent from the bill")
        REFUND_DIFFERS = "refund_differs", _("Refund differs")
        SETTLEMENT_DIFFERS = "settlement_differs", _("Fund flow differs from the trade bill")

    class Resolution(models.TextChoices):
        RECORDED_PAID = "recorded_paid", _("Queried WeChat and recorded the payment")
        REFUNDED_CLOSED_ORDER = "refunded_closed_order", _("Queried WeChat; the order was closed, so it was refunded")
        SETTLED_REFUND = "settled_refund", _("Queried WeChat and settled the refund")
        CONFIRMED_BY_QUERY = "confirmed_by_query", _("WeChat's query confirms our record; the bill lacks the row")
        NEEDS_STAFF = "needs_staff", _("Staff must decide")
        RESOLVED_BY_STAFF = "resolved_by_staff", _("Resolved by staff")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reference = models.CharField(max_length=64)  # out_trade_no, out_refund_no, or "fund_flow"
    payment = models.ForeignKey("orders.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refund = models.ForeignKey("orders.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    wechat_fen = models.BigIntegerField(null=True, blank=True)
    local_fen = models.BigIntegerField(null=True, blank=True)
    wechat_state = models.CharField(max_length=32, blank=True)
    local_state = models.CharField(max_length=32, blank=True)
    resolution = models.CharField(max_length=32, choices=Resolution.choices)
    is_open = models.BooleanField(default=True, db_index=True)
    found_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-is_open", "kind", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["run", "kind", "reference"], name="one_discrepancy_per_item_and_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({'open' if self.is_open else self.resolution})"
