"""Serializer fields shared by the apps."""

from __future__ import annotations

from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON integer: no "12", no 12.5, no true.

    Money (fen) and quantities go through this, so a client cannot smuggle a fraction or a
    string past us and have it rounded.
    """

    default_error_messages = {"invalid": "Must be a whole number (a JSON integer), not {kind}"}
    KINDS = {bool: "a boolean", float: "a fraction", str: "a string", list: "a list", dict: "an object"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid", kind=self.KINDS.get(type(data), type(data).__name__))
        return super().to_internal_value(data)


class FenField(StrictIntegerField):
    """An amount of money in fen (1/100 yuan): a non-negative JSON integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100_000_000)
        kwargs.setdefault("help_text", "Amount in fen (1 yuan = 100 fen).")
        super().__init__(**kwargs)
