"""Template helpers: money is integer fen in the database and shown as yuan."""

from __future__ import annotations

from django import template
from django.http import QueryDict

register = template.Library()


def fen_to_yuan(fen: int | None) -> str:
    """12345 -> "123.45", exactly (no floats)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


@register.filter
def yuan(fen: int | None) -> str:
    return "" if fen is None else f"¥{fen_to_yuan(fen)}"


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()
