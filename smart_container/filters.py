"""Query filters shared by the API's list endpoints."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField


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
