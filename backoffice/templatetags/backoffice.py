"""Template helpers: money is integer fen in the database and shown as yuan; labels for stored codes."""

from __future__ import annotations

from django import template
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.utils.html import format_html

from .. import labels

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


@register.filter
def embedding_status(status: str) -> str:
    return labels.label(labels.EMBEDDING_STATUS, status)


@register.filter
def price_source(source: str) -> str:
    return labels.label(labels.PRICE_SOURCE, source)


@register.filter
def model_name(version: str) -> str:
    """``<model folder>@<weights hash>`` -> the folder, the name people know the model by."""
    return (version or "").partition("@")[0]


@register.filter
def model_hash(version: str) -> str:
    return (version or "").partition("@")[2]


@register.filter
def media_url(name: str) -> str:
    """A stored file's URL from its name (what a values() query or a Subquery gives)."""
    return default_storage.url(name) if name else ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> str:
    """A column header that sorts by ``field``; a second click reverses, and the arrow says which way."""
    params: QueryDict = context["request"].GET.copy()
    current = params.get("sort", "")
    descending = current == field
    params["sort"] = f"-{field}" if descending else field
    params.pop("page", None)
    arrow = {field: " ▲", f"-{field}": " ▼"}.get(current, "")
    state = {field: "ascending", f"-{field}": "descending"}.get(current, "none")
    return format_html('<a href="?{}" class="sort" data-sort="{}">{}{}</a>', params.urlencode(), state, label, arrow)
