from __future__ import annotations

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
