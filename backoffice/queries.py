"""Read-side queries behind the back-office lists (filters, the audit timeline)."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from catalog.models import PriceChange
from gallery.models import GalleryChange
from orders.models import Order, Refund
from reports.queries import local_midnight

from . import labels


def orders_matching(
    *,
    q: str = "",
    status: str = "",
    store=None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """Orders for the list and the CSV export (dates are local days, both ends included)."""
    orders = Order.objects.select_related("store")
    if status:
        orders = orders.filter(status=status)
    if store:
        orders = orders.filter(store=store)
    if date_from:
        orders = orders.filter(created_at__gte=local_midnight(date_from))
    if date_to:
        orders = orders.filter(created_at__lt=local_midnight(date_to + timedelta(days=1)))
    if q := q.strip():
        match = Q(lines__sku=q) | Q(payments__out_trade_no=q) | Q(payments__transaction_id=q)
        with contextlib.suppress(ValueError):
            match |= Q(id=uuid.UUID(q))
        orders = orders.filter(pk__in=Order.objects.filter(match).values("pk"))
    return orders.order_by("-created_at")


# --- Audit log: one timeline over the places where changes are already recorded.

AUDIT_KINDS = {"price": _("Price change"), "refund": _("Refund"), "gallery": _("Gallery edit")}
_COLUMNS = ["kind", "at", "who", "subject", "old_fen", "new_fen", "note", "ref"]


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    at: datetime
    who: str
    subject: str
    old_fen: int | None
    new_fen: int | None
    note: str
    ref: str

    @property
    def kind_label(self) -> str:
        return AUDIT_KINDS[self.kind]

    @property
    def change_label(self) -> str:
        """A gallery entry's change ("add photo #12" in the query) in the page's language."""
        op, _sep, image_id = self.ref.partition(" photo #")
        return labels.GALLERY_OP[op] % {"id": image_id} if op in labels.GALLERY_OP else self.ref

    @property
    def note_label(self) -> str:
        """The refund's state, the price's source or the gallery's reason, in the page's language."""
        if self.kind == "refund" and self.note in Refund.State.values:
            return str(Refund.State(self.note).label)
        return labels.label(labels.PRICE_SOURCE if self.kind == "price" else labels.GALLERY_REASON, self.note)

    @property
    def order_id(self) -> uuid.UUID | None:
        """The refunded order (SQLite casts UUIDs to bare hex, PostgreSQL to dashed text)."""
        return uuid.UUID(self.ref) if self.kind == "refund" else None


def _text(expr) -> Cast:
    return Cast(expr, output_field=CharField())


def _price_changes() -> QuerySet:
    return PriceChange.objects.annotate(
        kind=Value("price", output_field=CharField()),
        at=F("changed_at"),
        who=Coalesce(F("changed_by__username"), Value("", output_field=CharField())),
        subject=F("product__sku"),
        old_fen=Cast("old_price_fen", output_field=IntegerField()),
        new_fen=Cast("new_price_fen", output_field=IntegerField()),
        note=F("source"),
        ref=_text("product_id"),
    )


def _refunds() -> QuerySet:
    return Refund.objects.annotate(
        kind=Value("refund", output_field=CharField()),
        at=F("created_at"),
        who=Coalesce(F("requested_by__username"), Value("", output_field=CharField())),
        subject=_text("order_id"),
        old_fen=Value(None, output_field=IntegerField()),
        new_fen=Cast("amount_fen", output_field=IntegerField()),
        note=F("state"),
        ref=_text("order_id"),
    )


def _gallery_changes() -> QuerySet:
    return GalleryChange.objects.annotate(
        kind=Value("gallery", output_field=CharField()),
        at=F("created_at"),
        who=Coalesce(F("actor__username"), Value("", output_field=CharField())),
        subject=F("label"),
        old_fen=Value(None, output_field=IntegerField()),
        new_fen=Value(None, output_field=IntegerField()),
        note=F("reason"),
        ref=Concat(F("op"), Value(" photo #"), _text("image_id"), output_field=CharField()),
    )


AUDIT_SOURCES = {"price": _price_changes, "refund": _refunds, "gallery": _gallery_changes}


def audit_timeline(
    *,
    kinds: list[str] | None = None,
    actor: str = "",
    subject: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """Newest first; a UNION of per-source queries, so pagination and counting happen in SQL."""
    parts = []
    for kind in kinds or list(AUDIT_SOURCES):
        rows = AUDIT_SOURCES[kind]()
        if actor:
            rows = rows.filter(who=actor)
        if subject:
            rows = rows.filter(subject__icontains=subject)
        if since:
            rows = rows.filter(at__gte=local_midnight(since))
        if until:
            rows = rows.filter(at__lt=local_midnight(until + timedelta(days=1)))
        parts.append(rows.order_by().values(*_COLUMNS))
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-at") if rest else first.order_by("-at")


def audit_entries(rows) -> list[AuditEntry]:
    return [AuditEntry(**row) for row in rows]
