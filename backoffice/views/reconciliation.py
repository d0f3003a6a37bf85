"""Reconciliation with WeChat Pay's bills: the days and their state, a day's sums and discrepancies,
and staff resolving what a run could not."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from orders.models import Payment, Refund
from reconciliation.models import Bill, Discrepancy, ReconciliationRun
from reconciliation.services import resolve_by_staff
from smart_container.errors import DomainError

from .base import BackOfficeMixin

K = Discrepancy.Kind
STAFF_DECISIONS = {
    K.UNKNOWN_PAYMENT: gettext_lazy(
        "WeChat took this payment but no order of ours has its number: find the customer, then refund it in "
        "the WeChat Pay merchant platform or record what it was for."
    ),
    K.UNPAID_HERE: gettext_lazy(
        "WeChat's bill says paid but its query did not confirm it: the next run asks again; if it persists, "
        "check the payment in the merchant platform."
    ),
    K.MISSING_FROM_BILL: gettext_lazy(
        "We recorded this payment but WeChat does not have it: check the order before handing over more goods "
        "to this customer, and ask WeChat Pay support."
    ),
    K.AMOUNT_DIFFERS: gettext_lazy(
        "WeChat booked another amount than the order's: compare with the merchant platform and correct the "
        "difference with the customer (refund or ask WeChat Pay support)."
    ),
    K.STATE_DIFFERS: gettext_lazy(
        "WeChat's bill and our record disagree on this payment's state: check it in the merchant platform."
    ),
    K.UNKNOWN_REFUND: gettext_lazy(
        "WeChat refunded money we have no refund for: find who made it in the merchant platform."
    ),
    K.REFUND_UNSETTLED_HERE: gettext_lazy(
        "WeChat settled this refund but our query could not: the next run asks again."
    ),
    K.REFUND_MISSING_FROM_BILL: gettext_lazy(
        "We recorded this refund as settled but WeChat's bill lacks it: check it in the merchant platform."
    ),
    K.REFUND_DIFFERS: gettext_lazy(
        "WeChat's refund differs from ours in amount or outcome: check it in the merchant platform."
    ),
    K.SETTLEMENT_DIFFERS: gettext_lazy(
        "The money that reached the account differs from the day's payments: compare the two bills "
        "in the merchant platform."
    ),
}


# WeChat's trade and refund states, as the bill and the queries name them.
WECHAT_STATES = {
    "SUCCESS": gettext_lazy("succeeded"),
    "REFUND": gettext_lazy("refunded"),
    "PROCESSING": gettext_lazy("refund in progress"),
    "CLOSED": gettext_lazy("closed"),
    "ABNORMAL": gettext_lazy("refund failed"),
    "REVOKED": gettext_lazy("revoked"),
    "NOTPAY": gettext_lazy("not paid"),
    "PAYERROR": gettext_lazy("payment failed"),
}


def local_state_label(d: Discrepancy) -> str:
    states = Refund.State if d.refund_id else Payment.State
    return str(dict(states.choices).get(d.local_state, d.local_state))


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=200, label=gettext_lazy("What was done"))


class ReconciliationListView(BackOfficeMixin, TemplateView):
    permission_required = "reconciliation.view_reconciliationrun"
    template_name = "backoffice/reconciliation.html"
    extra_context = {"nav": "reconciliation"}
    per_page = 31

    def get_context_data(self, **kwargs):
        page = Paginator(ReconciliationRun.objects.all(), self.per_page).get_page(self.request.GET.get("page"))
        for run in page:
            run.open_count = run.discrepancies.filter(is_open=True).count()
        return super().get_context_data(page_obj=page, runs=page.object_list, **kwargs)


class ReconciliationDayView(BackOfficeMixin, TemplateView):
    permission_required = "reconciliation.view_reconciliationrun"
    template_name = "backoffice/reconciliation_day.html"
    extra_context = {"nav": "reconciliation"}

    def get_context_data(self, **kwargs):
        try:
            day = date.fromisoformat(self.kwargs["day"])
        except ValueError as exc:
            raise Http404 from exc
        run = get_object_or_404(ReconciliationRun, day=day)
        discrepancies = list(run.discrepancies.select_related("payment", "refund", "resolved_by"))
        for d in discrepancies:
            d.decision = STAFF_DECISIONS[d.kind] if d.is_open else ""
            d.wechat_state_label = WECHAT_STATES.get(d.wechat_state, d.wechat_state)
            d.local_state_label = local_state_label(d)
        return super().get_context_data(
            run=run,
            bills=Bill.objects.filter(day=day),
            discrepancies=discrepancies,
            form=ResolveForm(),
            **kwargs,
        )


class DiscrepancyResolveView(BackOfficeMixin, View):
    """POST: staff say what they did about an open discrepancy; it is closed with their note."""

    permission_required = "reconciliation.change_discrepancy"

    def post(self, request, pk: int):
        discrepancy = get_object_or_404(Discrepancy.objects.select_related("run"), pk=pk)
        form = ResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say what was done before closing a discrepancy."))
        else:
            try:
                resolve_by_staff(discrepancy, user=request.user, note=form.cleaned_data["note"])
                messages.success(
                    request, _("Discrepancy %(reference)s resolved.") % {"reference": discrepancy.reference}
                )
            except DomainError as exc:
                messages.error(request, "; ".join(exc.messages))
        return redirect("backoffice:reconciliation-day", day=discrepancy.run.day.isoformat())
