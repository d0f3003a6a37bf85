"""Reading orders: staff see every order, a customer only their own (with the receipt).

Ordering a cart and paying it are the checkout's endpoints (``checkout.views.OrderViewSet``
adds them to this one); staff refunds are the payments app's (``payments.views``).
"""

from __future__ import annotations

from rest_framework import viewsets

from accounts.authentication import IsCustomerOrStaff, customer_of
from smart_container.filters import FilterSet, IntegerFilter, IsoDateTimeFilter, SlugFilter

from .models import Order
from .serializers import CustomerOrderSerializer


class OrderFilter(FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    store = SlugFilter(field_name="store__code")
    customer = IntegerFilter(field_name="customer_id", label="Customer id")  # unknown id: no rows

    class Meta:
        model = Order
        fields = ["status", "customer"]


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.select_related("store").prefetch_related("lines", "payments", "refunds")
    serializer_class = CustomerOrderSerializer
    filterset_class = OrderFilter
    search_fields = ["id", "lines__sku", "payments__out_trade_no", "payments__transaction_id"]
    ordering_fields = ["created_at", "total_fen", "status"]
    permission_classes = [IsCustomerOrStaff]

    def get_queryset(self):
        customer = customer_of(self.request)
        queryset = super().get_queryset()
        return queryset.filter(customer=customer) if customer is not None else queryset
