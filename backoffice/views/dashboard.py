"""The dashboard: sales by day and hour, top products, basket size, recognition quality."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from reconciliation.models import ReconciliationRun
from reports import queries

from ..charts import bar_chart
from ..forms import DashboardFilterForm
from ..templatetags.backoffice import fen_to_yuan
from .base import BackOfficeMixin


def _yuan_tick(fen: int) -> str:
    return f"¥{fen // 100:,}"


def home(request):
    """``/backoffice/``: the first page this user may see."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
    if user.has_perm("backoffice.view_dashboard"):
        return redirect("backoffice:dashboard")
    return redirect("backoffice:orders")


class DashboardView(BackOfficeMixin, TemplateView):
    permission_required = "backoffice.view_dashboard"
    template_name = "backoffice/dashboard.html"
    extra_context = {"nav": "dashboard"}

    def get_context_data(self, **kwargs):
        form = DashboardFilterForm(self.request.GET or None)
        days, store = 14, None
        if form.is_valid():
            days = form.cleaned_data["days"] or 14
            store = form.cleaned_data["store"]
        period = queries.Period.last_days(days)
        by_day = queries.sales_by_day(period, store)
        by_hour = queries.sales_by_hour(period, store)
        total = queries.totals(by_day)
        quality = queries.recognition_quality(period, store)
        yuan = lambda fen: f"¥{fen_to_yuan(fen)}"  # noqa: E731
        return super().get_context_data(
            form=form,
            period=period,
            store=store,
            total=total,
            by_day=by_day,
            day_chart=bar_chart(
                [(d.day.strftime("%m-%d"), d.gross_fen) for d in by_day],
                width=720,  # the full-width card
                value_label=yuan,
                tick_label=_yuan_tick,
                max_labels=7,  # "11-19" at a phone's label size needs a seventh of the width
            ),
            hour_chart=bar_chart(
                [(f"{h.hour:02d}", h.orders) for h in by_hour],
                value_label=lambda n: ngettext("%(n)d order", "%(n)d orders", n) % {"n": n},
                tick_label=str,
                max_labels=12,
            ),
            quality=quality,
            confidence_chart=bar_chart(
                [
                    (f"{low:.1f}+", n)
                    for (low, _high), n in zip(queries.CONFIDENCE_BUCKETS, quality.histogram, strict=True)
                ],
                value_label=lambda n: ngettext("%(n)d item", "%(n)d items", n) % {"n": n},
                tick_label=str,
            ),
            top_products=queries.top_products(period, store),
            low_stock=queries.low_stock(settings.BACKOFFICE_LOW_STOCK_THRESHOLD)[:10],
            low_stock_threshold=settings.BACKOFFICE_LOW_STOCK_THRESHOLD,
            settlement=None if store else queries.wechat_settlement(period),
            open_reconciliation_days=list(
                ReconciliationRun.objects.filter(discrepancies__is_open=True).distinct().values_list("day", flat=True)
            ),
            **kwargs,
        )
