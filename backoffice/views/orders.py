"""Orders: filtered list, receipt, refund, CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, View

from orders.models import Order, Refund
from payments.refunds import new_out_refund_no, request_refund
from reports.queries import local_tz
from smart_container.errors import DomainError

from ..exports import csv_lines
from ..forms import OrderFilterForm, RefundForm
from ..queries import orders_matching
from ..templatetags.backoffice import fen_to_yuan
from .base import BackOfficeMixin


def _filtered(request) -> tuple[OrderFilterForm, object]:
    form = OrderFilterForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    return form, orders_matching(**{k: v for k, v in criteria.items() if v})


class OrderListView(BackOfficeMixin, ListView):
    permission_required = "orders.view_order"
    extra_context = {"nav": "orders"}
    template_name = "backoffice/orders.html"
    paginate_by = 50

    def get_queryset(self):
        self.form, orders = _filtered(self.request)
        return orders

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


class OrderDetailView(BackOfficeMixin, DetailView):
    """The receipt, with payments and refunds, and the refund form for those allowed."""

    permission_required = "orders.view_order"
    extra_context = {"nav": "orders"}
    template_name = "backoffice/order.html"
    queryset = Order.objects.select_related("store", "customer").prefetch_related("lines", "payments", "refunds")

    def get_context_data(self, **kwargs):
        order = self.object
        refundable = order.total_fen - order.refunded_fen
        initial = {"out_refund_no": new_out_refund_no()}  # the amount is typed: nothing refunds by default
        return super().get_context_data(
            refundable_fen=refundable,
            refund_form=kwargs.pop("refund_form", None) or RefundForm(initial=initial),
            can_refund=order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED) and refundable > 0,
            **kwargs,
        )


class OrderExportView(BackOfficeMixin, View):
    permission_required = "backoffice.export_orders"

    def get(self, request):
        _form, orders = _filtered(request)
        stamp = timezone.localtime(timezone=local_tz()).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(csv_lines(orders), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response


class OrderRefundView(BackOfficeMixin, View):
    """POST amount (yuan) + reason: refund through WeChat Pay (payments.refunds.request_refund)."""

    permission_required = "orders.add_refund"

    def post(self, request, pk):
        order = get_object_or_404(Order, pk=pk)
        form = RefundForm(request.POST)
        if form.is_valid():
            try:
                refund = request_refund(
                    order,
                    amount_fen=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    requested_by=request.user,
                    out_refund_no=form.cleaned_data["out_refund_no"] or None,
                )
            except DomainError as exc:
                form.add_error(None, "; ".join(exc.messages))
                # The refund may now exist (refused by WeChat Pay): trying again is a new one.
                form.data = form.data.copy()
                form.data["out_refund_no"] = new_out_refund_no()
            else:
                said = {
                    Refund.State.SUCCEEDED: _("Refund of %(amount)s succeeded."),
                    Refund.State.PENDING: _("Refund of %(amount)s is being processed."),
                }.get(refund.state, _("Refund of %(amount)s failed."))
                messages.success(request, said % {"amount": f"¥{fen_to_yuan(refund.amount_fen)}"})
                return redirect("backoffice:order", pk=pk)
        view = OrderDetailView(request=request, kwargs={"pk": pk})
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(object=view.object, refund_form=form), status=400)
