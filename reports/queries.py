"""Sales figures computed in the database, grouped by the store's local day and hour.

Definitions used everywhere (dashboard, nightly summary, tests):
- a sale is an order with ``paid_at`` set, counted on the local day it was paid;
- a refund counts on the local day it settled (state ``succeeded``);
- the average basket is gross sales / paid orders, rounded to the nearest fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import Product, Store
from checkout.models import Recognition
from orders.models import Order, OrderLine, Refund
from reconciliation.models import ReconciliationRun

from .models import DailySalesSummary


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.REPORTS_TIME_ZONE)


def local_today() -> date:
    return timezone.now().astimezone(local_tz()).date()


def local_midnight(day: date) -> datetime:
    """The instant local ``day`` begins: day filters compare against this, so they do not
    depend on whichever time zone happens to be active when the query runs."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


@dataclass(frozen=True)
class Period:
    """Whole local days, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        today = today or local_today()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound: local midnight after ``last``."""
        return local_midnight(self.last + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass
class Sales:
    orders: int = 0
    items: int = 0
    gross_fen: int = 0
    refunded_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.refunded_fen

    @property
    def average_basket_fen(self) -> int:
        return round(self.gross_fen / self.orders) if self.orders else 0


@dataclass
class DaySales(Sales):
    day: date = field(default_factory=date.today)
    from_summary: bool = False


@dataclass(frozen=True)
class HourSales:
    hour: int
    orders: int
    gross_fen: int


@dataclass(frozen=True)
class ProductSales:
    sku: str
    name: str
    quantity: int
    gross_fen: int


def _paid(period: Period, store: Store | None) -> QuerySet[Order]:
    orders = Order.objects.filter(paid_at__gte=period.start, paid_at__lt=period.end)
    return orders.filter(store=store) if store else orders


def _paid_lines(period: Period, store: Store | None) -> QuerySet[OrderLine]:
    lines = OrderLine.objects.filter(order__paid_at__gte=period.start, order__paid_at__lt=period.end)
    return lines.filter(order__store=store) if store else lines


def _settled_refunds(period: Period, store: Store | None) -> QuerySet[Refund]:
    """Refunds of sales: a payment that landed on a closed order was never a sale (no ``paid_at``),
    so its automatic refund is not taken off the day's takings either."""
    refunds = Refund.objects.filter(
        state=Refund.State.SUCCEEDED,
        settled_at__gte=period.start,
        settled_at__lt=period.end,
        order__paid_at__isnull=False,
    )
    return refunds.filter(order__store=store) if store else refunds


def live_sales_by_store_day(period: Period, store: Store | None = None) -> dict[tuple[int, date], Sales]:
    """Sales per (store id, local day), straight from orders and refunds: three grouped queries."""
    tz = local_tz()
    out: dict[tuple[int, date], Sales] = {}
    for row in (
        _paid(period, store)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("store_id", "day")
        .annotate(n=Count("id"), gross=Sum("total_fen"))
        .order_by()
    ):
        sales = out.setdefault((row["store_id"], row["day"]), Sales())
        sales.orders, sales.gross_fen = row["n"], row["gross"] or 0
    for row in (
        _paid_lines(period, store)
        .annotate(day=TruncDate("order__paid_at", tzinfo=tz))
        .values("order__store_id", "day")
        .annotate(items=Sum("quantity"))
        .order_by()
    ):
        out.setdefault((row["order__store_id"], row["day"]), Sales()).items = row["items"] or 0
    for row in (
        _settled_refunds(period, store)
        .annotate(day=TruncDate("settled_at", tzinfo=tz))
        .values("order__store_id", "day")
        .annotate(refunded=Sum("amount_fen"))
        .order_by()
    ):
        out.setdefault((row["order__store_id"], row["day"]), Sales()).refunded_fen = row["refunded"] or 0
    return out


def _add(target: Sales, other: Sales) -> None:
    target.orders += other.orders
    target.items += other.items
    target.gross_fen += other.gross_fen
    target.refunded_fen += other.refunded_fen


def sales_by_day(period: Period, store: Store | None = None) -> list[DaySales]:
    """One entry per day of ``period`` (zeros included).

    Days already summarised by ``reports.tasks.daily_sales_summary`` are read from
    ``DailySalesSummary``; the rest (today, or days the task has not reached) are computed live.
    """
    summaries = DailySalesSummary.objects.filter(day__gte=period.first, day__lte=period.last)
    if store:
        summaries = summaries.filter(store=store)
    by_day = {day: DaySales(day=day) for day in period.days()}
    for row in summaries:
        entry = by_day[row.day]
        entry.from_summary = True
        _add(entry, Sales(row.orders, row.items, row.gross_fen, row.refunded_fen))
    missing = [day for day, entry in by_day.items() if not entry.from_summary]
    if missing:
        live = live_sales_by_store_day(Period(min(missing), max(missing)), store)
        for (_store_id, day), sales in live.items():
            if day in by_day and not by_day[day].from_summary:
                _add(by_day[day], sales)
    return list(by_day.values())


def totals(days: Iterable[Sales]) -> Sales:
    total = Sales()
    for day in days:
        _add(total, day)
    return total


def sales_by_hour(period: Period, store: Store | None = None) -> list[HourSales]:
    """Paid orders by local hour of day (0-23) across the period: when the store is busy."""
    rows = {
        row["hour"]: row
        for row in _paid(period, store)
        .annotate(hour=ExtractHour("paid_at", tzinfo=local_tz()))
        .values("hour")
        .annotate(n=Count("id"), gross=Sum("total_fen"))
        .order_by()
    }
    return [
        HourSales(hour, rows[hour]["n"] if hour in rows else 0, (rows[hour]["gross"] or 0) if hour in rows else 0)
        for hour in range(24)
    ]


def top_products(period: Period, store: Store | None = None, limit: int = 10) -> list[ProductSales]:
    """Best sellers by revenue (ties by quantity, then SKU), from the prices actually charged."""
    rows = (
        _paid_lines(period, store)
        .values("sku")
        .annotate(name=Max("name"), quantity=Sum("quantity"), gross=Sum("subtotal_fen"))
        .order_by("-gross", "-quantity", "sku")[:limit]
    )
    return [ProductSales(row["sku"], row["name"], row["quantity"], row["gross"]) for row in rows]


def low_stock(threshold: int) -> QuerySet[Product]:
    """Active products with ``stock <= threshold``, emptiest first."""
    return Product.objects.filter(is_active=True, stock__lte=threshold).order_by("stock", "sku")


# --- Recognition quality, from the checkout's Recognition records.

CONFIDENCE_BUCKETS = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]


@dataclass
class RecognitionQuality:
    recognitions: int = 0
    corrected: int = 0
    matched_items: int = 0
    unknown_items: int = 0
    score_sum: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * len(CONFIDENCE_BUCKETS))
    failures: list[tuple[str, int]] = field(default_factory=list)  # (why, how many), most common first

    @property
    def failed(self) -> int:
        """Checkout photos that got no cart (the customer saw an error)."""
        return sum(n for _, n in self.failures)

    @property
    def failure_rate(self) -> float | None:
        attempts = self.recognitions + self.failed
        return self.failed / attempts if attempts else None

    @property
    def items(self) -> int:
        return self.matched_items + self.unknown_items

    @property
    def mean_score(self) -> float | None:
        """Mean match score of the recognised items (None when there were none)."""
        return self.score_sum / self.matched_items if self.matched_items else None

    @property
    def unknown_rate(self) -> float | None:
        """Share of detected items that matched no product."""
        return self.unknown_items / self.items if self.items else None

    @property
    def correction_rate(self) -> float | None:
        return self.corrected / self.recognitions if self.recognitions else None


def _bucket(score: float) -> int:
    return next(
        i for i, (low, high) in enumerate(CONFIDENCE_BUCKETS) if low <= score < high or i == len(CONFIDENCE_BUCKETS) - 1
    )


def recognition_quality(period: Period, store: Store | None = None) -> RecognitionQuality:
    """Match scores and the unknown-item rate over finished recognitions, and the failed ones by reason.

    Counts come from the database; per-box scores live in each record's JSON result, so
    those are read in one streamed pass of that single column.
    """
    in_period = Recognition.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if store:
        in_period = in_period.filter(store=store)
    done = in_period.filter(status=Recognition.Status.DONE)
    quality = RecognitionQuality()
    reasons = dict(Recognition.Failure.choices)
    failed = in_period.filter(status=Recognition.Status.FAILED).values_list("failure").annotate(n=Count("pk"))
    quality.failures = sorted(
        ((str(reasons.get(failure) or gettext("unknown reason")), n) for failure, n in failed),
        key=lambda row: (-row[1], row[0]),
    )
    counts = done.aggregate(n=Count("pk"), corrected=Count("pk", filter=Q(corrected=True)))
    quality.recognitions, quality.corrected = counts["n"], counts["corrected"]
    for result in done.values_list("result", flat=True).iterator(chunk_size=2000):
        for line in (result or {}).get("lines", []):
            for box in line.get("boxes", []):
                quality.matched_items += 1
                quality.score_sum += box["score"]
                quality.histogram[_bucket(box["score"])] += 1
        quality.unknown_items += len((result or {}).get("unknown", []))
    return quality


@dataclass
class Settlement:
    """What WeChat Pay settled over the reconciled days of a period (merchant-wide: the bills know no store)."""

    days: int = 0
    fee_fen: int = 0
    net_fen: int = 0


def wechat_settlement(period: Period) -> Settlement:
    """WeChat's fee and the net settlement, from the days reconciled against its bills."""
    runs = ReconciliationRun.objects.filter(day__gte=period.first, day__lte=period.last).exclude(
        state=ReconciliationRun.State.NOT_AVAILABLE
    )
    sums = runs.aggregate(days=Count("id"), fee=Sum("fee_fen"), net=Sum("net_fen"))
    return Settlement(days=sums["days"], fee_fen=sums["fee"] or 0, net_fen=sums["net"] or 0)
