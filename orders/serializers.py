from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from smart_container.fields import FenField, StrictIntegerField

from .models import Order, OrderLine, Payment, Refund
from .services import MAX_LINES, MAX_QUANTITY


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["sku", "name", "unit_price_fen", "quantity", "subtotal_fen"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["out_trade_no", "transaction_id", "amount_fen", "state", "created_at", "paid_at"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["out_refund_no", "refund_id", "amount_fen", "reason", "state", "created_at", "settled_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "customer",
            "store",
            "status",
            "total_fen",
            "refunded_fen",
            "lines",
            "payments",
            "refunds",
            "created_at",
            "expires_at",
            "paid_at",
            "closed_at",
        ]
        read_only_fields = fields


class ReceiptSerializer(serializers.Serializer):
    store = serializers.CharField()
    paid_at = serializers.DateTimeField()
    transaction_id = serializers.CharField(allow_null=True)
    total_fen = serializers.IntegerField()
    refunded_fen = serializers.IntegerField()
    net_fen = serializers.IntegerField()


class CustomerOrderSerializer(OrderSerializer):
    """An order with its receipt once paid (what the mini-program shows)."""

    receipt = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "receipt"]
        read_only_fields = fields

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, order: Order) -> dict | None:
        paid = next((p for p in order.payments.all() if p.state == Payment.State.SUCCEEDED), None)
        if paid is None:
            return None
        return {
            "store": order.store.name,
            "paid_at": paid.paid_at,
            "transaction_id": paid.transaction_id,
            "total_fen": order.total_fen,
            "refunded_fen": order.refunded_fen,
            "net_fen": order.total_fen - order.refunded_fen,
        }


class OrderLineRequestSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class OrderCreateSerializer(serializers.Serializer):
    recognition = serializers.UUIDField(required=False, help_text="The recognition this cart came from.")
    store = serializers.SlugField(required=False, help_text="Store code; defaults to the recognition's store.")
    lines = OrderLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class RefundCreateSerializer(serializers.Serializer):
    amount_fen = FenField(min_value=1)
    reason = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    out_refund_no = serializers.RegexField(
        r"^[A-Za-z0-9_*@|-]{1,64}$",
        required=False,
        help_text="Your idempotency key: retrying with the same value never refunds twice.",
    )


class PayParamsSerializer(serializers.Serializer):
    appId = serializers.CharField()
    timeStamp = serializers.CharField()
    nonceStr = serializers.CharField()
    package = serializers.CharField()
    signType = serializers.CharField()
    paySign = serializers.CharField()
