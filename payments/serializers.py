from __future__ import annotations

from rest_framework import serializers

from smart_container.fields import FenField, StrictCharField, StrictRegexField


class RefundCreateSerializer(serializers.Serializer):
    amount_fen = FenField(min_value=1)
    reason = StrictCharField(max_length=80, required=False, allow_blank=True, default="")
    out_refund_no = StrictRegexField(
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
