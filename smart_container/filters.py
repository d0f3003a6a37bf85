"""Query filters shared by the API's list endpoints.

A typed parameter (an integer, a date-time, a boolean, a choice) given with no value
(``?created_before=``) is a 400 naming it, as any other value its type refuses: taking it as
absent would answer a question the client did not ask.  Leaving the parameter out is how a
client asks for no filter.  Text parameters may be empty; none may hold a NUL character, which
PostgreSQL cannot compare, and the schema says so.
"""

from __future__ import annotations

import re
from datetime import UTC

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy
from django_filters.fields import ChoiceField as DjangoFilterChoiceField
from django_filters.fields import IsoDateTimeField
from drf_spectacular.drainage import set_override
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

EMPTY_VALUE_MESSAGE = gettext_lazy("Give a value, or leave the parameter out.")
NO_NUL_PATTERN = "^[^\\x00]*$"  # JSON Schema (ECMA) and Python read \x00 alike


class ValueRequiredMixin:
    """A form field for a typed query parameter: present but empty is an error, not "absent"
    (checked before the field's own parsing, which would take "" as no value)."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(EMPTY_VALUE_MESSAGE, code="empty")
        return super().clean(value)


# An ISO 8601 date, or date and time, with an optional UTC offset within ±14:00 (the range of
# every time zone); no offset: the store's time zone.  The schema states it, the field enforces it.
DATE_TIME_PATTERN = (
    r"^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?"
    r"(?:[Zz]|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?)?$"
)


class UTCIsoDateTimeField(ValueRequiredMixin, IsoDateTimeField):
    """An ISO 8601 date-time (``DATE_TIME_PATTERN``) converted to UTC before it reaches the database.

    Python parses offsets up to ±23:59 but PostgreSQL takes only ±15:59 ("time zone displacement
    out of range"), and no time zone is past ±14:00: a larger offset is a 400 naming the
    parameter, as is a date-time with no UTC equivalent (0001-01-01T00:00+08:00).
    """

    default_error_messages = {
        "out_of_range": gettext_lazy("This date-time is out of range once converted to UTC."),
        "invalid_format": gettext_lazy("An ISO 8601 date-time, e.g. 2026-12-01T00:00:00+08:00, offset within ±14:00."),
    }

    def to_python(self, value):
        if isinstance(value, str) and not re.fullmatch(DATE_TIME_PATTERN, value):
            raise forms.ValidationError(self.error_messages["invalid_format"], code="invalid")
        try:
            parsed = super().to_python(value)
            return parsed.astimezone(UTC) if parsed is not None else None
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN})


class StrictBooleanField(ValueRequiredMixin, forms.NullBooleanField):
    """``true`` or ``false`` (absent: no filter); django-filter's own takes "null", "abc" or "" as no filter."""

    widget = forms.TextInput  # the raw query value: NullBooleanSelect would turn "abc" into None

    def to_python(self, value):
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(gettext_lazy("Must be true or false."), code="invalid")

    def validate(self, value) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


BIGINT_MAX = 2**63 - 1


class StrictIntegerField(ValueRequiredMixin, forms.IntegerField):
    pass


class StrictChoiceField(ValueRequiredMixin, DjangoFilterChoiceField):
    pass


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of the enum's values (absent: no filter); "" is not one of them."""

    field_class = StrictChoiceField


class TextFilter(django_filters.CharFilter):
    """Exact text (a barcode); empty matches nothing in particular and is no filter, as the schema allows."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": NO_NUL_PATTERN})


class IntegerFilter(django_filters.NumberFilter):
    """An integer query parameter with the bounds the schema states (an id, fen, a count):
    "1.5" or a number past the bounds is a 400 naming it, never a database error."""

    field_class = StrictIntegerField

    def __init__(self, *args, min_value: int = 0, max_value: int = BIGINT_MAX, **kwargs) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": min_value, "maximum": max_value})


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with the strict boolean, choice and text filters for generated filters."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.CharField: {"filter_class": TextFilter},
    }

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.ChoiceFilter:
            filter_class = ChoiceFilter
        return filter_class, params


class SlugFilter(django_filters.CharFilter):
    """A code (a store's): letters, digits, "-" and "_", as the schema's pattern says; anything else is a 400."""

    field_class = forms.SlugField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": "^[-a-zA-Z0-9_]*$"})  # empty: no filter


class SearchFilter(drf_filters.SearchFilter):
    """DRF's search, with a NUL character refused as a 400 naming ``search`` (DRF names no field)
    and the schema saying so."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["pattern"] = NO_NUL_PATTERN
        return parameters
