"""Order endpoints.  Staff see every order; a customer sees, creates and pays only their own.

The rules live in checkout.services (ordering a cart) and payments.services (paying, refunding).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.authentication import IsCustomer, IsCustomerOrStaff, customer_of
from checkout.services import place_order
from payments.services import request_refund, start_payment, sync_payment
from smart_container.filters import IsoDateTimeFilter

from .models import Order
from .serializers import (
    CustomerOrderSerializer,
    OrderCreateSerializer,
    PayParamsSerializer,
    RefundCreateSerializer,
    RefundSerializer,
)


class OrderFilter(django_filters.FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    store = django_filters.CharFilter(field_name="store__code")
    customer = django_filters.NumberFilter(field_name="customer_id", label="Customer id")  # unknown id: no rows

    class Meta:
        model = Order
        fields = ["status", "customer"]


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.select_related("store").prefetch_related("lines", "payments", "refunds")
    serializer_class = CustomerOrderSerializer
    filterset_class = OrderFilter
    search_fields = ["id", "lines__sku", "payments__out_trade_no", "payments__transaction_id"]
    ordering_fields = ["created_at", "total_fen", "status"]

    def get_permissions(self):
        if self.action in ("create", "pay", "check_payment"):
            return [IsCustomer()]
        if self.action == "refunds":
            return [permissions.IsAdminUser()]
        return [IsCustomerOrStaff()]

    def get_queryset(self):
        customer = customer_of(self.request)
        queryset = super().get_queryset()
        return queryset.filter(customer=customer) if customer is not None else queryset

    @extend_schema(request=OrderCreateSerializer, responses={201: CustomerOrderSerializer})
    def create(self, request, *args, **kwargs):
        """Order the cart: the server prices every line and reserves the stock."""
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = place_order(customer=customer_of(request), **serializer.validated_data)
        order = self.get_queryset().get(pk=order.pk)
        return Response(CustomerOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PayParamsSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """WeChat Pay (JSAPI) parameters for wx.requestPayment; the order is paid when WeChat says so."""
        return Response(start_payment(self.get_object()))

    @extend_schema(request=None, responses=CustomerOrderSerializer)
    @action(detail=True, methods=["post"], url_path="check-payment")
    def check_payment(self, request, pk=None):
        """The client believes it paid: ask WeChat Pay (never trust the client) and answer the order."""
        order = self.get_object()
        payment = order.payments.first()
        if payment is not None and order.status == Order.Status.CREATED:
            sync_payment(payment)
        return Response(CustomerOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=RefundCreateSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        """Staff: refund part or all of a paid order (idempotent per out_refund_no)."""
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = request_refund(self.get_object(), requested_by=request.user, **serializer.validated_data)
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)
