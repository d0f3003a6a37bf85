"""Staff REST endpoints for the catalog; business rules live in ``catalog.services``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from smart_container.filters import FilterSet, IntegerFilter

from . import services
from .models import Category, Product, Store
from .serializers import CategorySerializer, PriceChangeSerializer, ProductSerializer, StoreSerializer


class ProductFilter(FilterSet):
    min_price_fen = IntegerFilter(field_name="price_fen", lookup_expr="gte")
    max_price_fen = IntegerFilter(field_name="price_fen", lookup_expr="lte")
    low_stock = IntegerFilter(field_name="stock", lookup_expr="lte", label="Stock at most")
    category = IntegerFilter(field_name="category_id", label="Category id")  # unknown id: no rows

    class Meta:
        model = Product
        fields = ["category", "is_active", "barcode"]


class ProductViewSet(viewsets.ModelViewSet):
    """Products: create, read, update, delete; search by SKU, name or barcode."""

    queryset = Product.objects.select_related("category").prefetch_related("images")
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["sku", "name", "barcode"]
    ordering_fields = ["sku", "name", "price_fen", "stock", "updated_at"]

    def perform_create(self, serializer):
        serializer.instance = services.create_product(changed_by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_product(
            serializer.instance, changed_by=self.request.user, **serializer.validated_data
        )

    @extend_schema(responses=PriceChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="price-history", filter_backends=[])
    def price_history(self, request, pk=None):
        """Every price this product has had, newest first, with who set it."""
        changes = self.get_object().price_changes.select_related("changed_by")
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(PriceChangeSerializer(page, many=True).data)


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    search_fields = ["name"]


class StoreFilter(FilterSet):
    class Meta:
        model = Store
        fields = ["is_active"]


class StoreViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Stores are deactivated, never deleted: orders refer to them."""

    queryset = Store.objects.all()
    serializer_class = StoreSerializer
    search_fields = ["code", "name"]
    filterset_class = StoreFilter
