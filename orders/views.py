"""Order endpoints.  Staff see every order; the checkout flow scopes them to a customer."""

from __future__ import annotations

import django_filters
from rest_framework import viewsets

from .models import Order
from .serializers import OrderSerializer


class OrderFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    store = django_filters.CharFilter(field_name="store__code")

    class Meta:
        model = Order
        fields = ["status", "customer"]


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.select_related("store").prefetch_related("lines", "payments", "refunds")
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    search_fields = ["id", "lines__sku", "payments__out_trade_no", "payments__transaction_id"]
    ordering_fields = ["created_at", "total_fen", "status"]
