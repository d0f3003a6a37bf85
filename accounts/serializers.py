from __future__ import annotations

from rest_framework import serializers

from smart_container.fields import StrictCharField


class WeChatLoginSerializer(serializers.Serializer):
    code = StrictCharField(
        max_length=128, trim_whitespace=False, help_text="The code from wx.login() in the mini-program."
    )


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=2048, trim_whitespace=False)  # " " is a wrong token (401), not a blank


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds the access token is valid.")
    customer = serializers.IntegerField()
