"""Orders and the money that moves for them (integer fen throughout)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import pgettext_lazy


class InvalidTransition(Exception):
    """An order status change that the state machine does not allow."""


class Order(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("order status", "Created (awaiting payment)")
        PAID = "paid", pgettext_lazy("order status", "Paid")
        PARTIALLY_REFUNDED = "partially_refunded", pgettext_lazy("order status", "Partially refunded")
        REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")
        CLOSED = "closed", pgettext_lazy("order status", "Closed (unpaid)")

    # The only legal moves; anything else is a bug or an attack.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.CREATED: frozenset({Status.PAID, Status.CLOSED}),
        Status.PAID: frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED}),
        Status.PARTIALLY_REFUNDED: frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED}),
        Status.REFUNDED: frozenset(),
        Status.CLOSED: frozenset(),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CREATED, db_index=True)
    # Sums are 64-bit; MAX_ORDER_TOTAL_FEN bounds what a total may be (orders.services).
    total_fen = models.PositiveBigIntegerField(default=0)
    refunded_fen = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_fen__lte=models.F("total_fen")), name="order_refund_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def transition_to(self, status: str) -> None:
        """Move to ``status`` in memory, refusing illegal moves; the caller saves."""
        if not self.can_transition_to(status):
            raise InvalidTransition(f"order {self.id}: {self.status} -> {status} is not allowed")
        self.status = status


class OrderLine(models.Model):
    """One product on an order; SKU, name and price are copied so history never shifts."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit_price_fen = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    subtotal_fen = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.UniqueConstraint(fields=["order", "sku"], name="order_line_unique_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class Payment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment state", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("payment state", "Succeeded")
        CLOSED = "closed", pgettext_lazy("payment state", "Closed")
        FAILED = "failed", pgettext_lazy("payment state", "Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    out_trade_no = models.CharField(max_length=32, unique=True)
    transaction_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    amount_fen = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"payment {self.out_trade_no} ({self.state})"


class Refund(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("refund state", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("refund state", "Succeeded")
        FAILED = "failed", pgettext_lazy("refund state", "Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=64, unique=True)
    refund_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    amount_fen = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gte=1), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.out_refund_no} ({self.state})"
