"""Query filters shared by the API's list endpoints."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField
from drf_spectacular.drainage import set_override


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time converted to UTC before it reaches the database.

    Python accepts offsets up to ±23:59 but PostgreSQL only ±15:59 ("time zone displacement out
    of range"): converting here makes every offset Python parses usable, and a date-time that
    has no UTC equivalent (0001-01-01T00:00+08:00) is a 400 naming the parameter.
    """

    default_error_messages = {"out_of_range": gettext_lazy("This date-time is out of range once converted to UTC.")}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
            return parsed.astimezone(UTC) if parsed is not None else None
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (absent or empty: no filter); django-filter's own takes "null", "abc" as no filter."""

    widget = forms.TextInput  # the raw query value: NullBooleanSelect would turn "abc" into None

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(gettext_lazy("Must be true or false."), code="invalid")

    def validate(self, value) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


BIGINT_MAX = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """An integer query parameter with the bounds the schema states (an id, fen, a count):
    "1.5" or a number past the bounds is a 400 naming it, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int = 0, max_value: int = BIGINT_MAX, **kwargs) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": min_value, "maximum": max_value})


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with the strict boolean for generated filters."""

    FILTER_DEFAULTS = {**django_filters.FilterSet.FILTER_DEFAULTS, models.BooleanField: {"filter_class": BooleanFilter}}


class SlugFilter(django_filters.CharFilter):
    """A code (a store's): letters, digits, "-" and "_", as the schema's pattern says; anything else is a 400."""

    field_class = forms.SlugField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": "^[-a-zA-Z0-9_]*$"})  # empty: no filter
