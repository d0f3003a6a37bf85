"""Serializer fields shared by the apps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON integer: no "12", no 12.5, no true.

    Money (fen) and quantities go through this, so a client cannot smuggle a fraction or a
    string past us and have it rounded.
    """

    default_error_messages = {"invalid": gettext_lazy("Must be a whole number (a JSON integer), not {kind}")}
    KINDS = {
        bool: gettext_lazy("a boolean"),
        float: gettext_lazy("a fraction"),
        str: gettext_lazy("a string"),
        list: gettext_lazy("a list"),
        dict: gettext_lazy("an object"),
    }

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


class StrictStringMixin:
    """A string field that must arrive as a JSON string: 0 is not "0", true is not "True"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(
                gettext("Must be a string, not %(kind)s.")
                % {"kind": StrictIntegerField.KINDS.get(type(data), type(data).__name__)},
                code="invalid",
            )
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class StrictRegexField(StrictStringMixin, serializers.RegexField):
    pass


class StrictUUIDField(StrictStringMixin, serializers.UUIDField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF also takes 0, 1, "yes", "off", ...)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object's integer id: no "1", no true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated fields take only the JSON type the schema names."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
        models.UUIDField: StrictUUIDField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField
