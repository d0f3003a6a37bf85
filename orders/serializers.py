from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Order, OrderLine, Payment, Refund


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
        receipt = {
            "store": order.store.name,
            "paid_at": paid.paid_at,
            "transaction_id": paid.transaction_id,
            "total_fen": order.total_fen,
            "refunded_fen": order.refunded_fen,
            "net_fen": order.total_fen - order.refunded_fen,
        }
        return ReceiptSerializer(receipt).data  # its DateTimeField puts paid_at in the stores' offset
