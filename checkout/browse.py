"""What a shopper may look up: the store they are in (from the store code in the scanned
mini-program code) and the products on sale, to pick the product the camera did not know."""

from __future__ import annotations

from rest_framework import mixins, permissions, serializers, viewsets

from accounts.authentication import IsCustomer
from catalog.models import Product, Store
from smart_container.filters import SearchFilter


class StoreInfoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["code", "name", "address"]
        read_only_fields = fields


class ProductOnSaleSerializer(serializers.ModelSerializer):
    unit_price_fen = serializers.IntegerField(source="price_fen", read_only=True)

    class Meta:
        model = Product
        fields = ["sku", "name", "unit_price_fen", "barcode"]
        read_only_fields = fields


class StoreInfoViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An open store by its code; anyone may ask (the start page shows it before logging in)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = StoreInfoSerializer
    queryset = Store.objects.filter(is_active=True)
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


class ProductsOnSaleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Active products, searched by name, SKU or barcode (``?search=``), paged."""

    permission_classes = [IsCustomer]
    serializer_class = ProductOnSaleSerializer
    queryset = Product.objects.filter(is_active=True).order_by("name", "sku")
    filter_backends = [SearchFilter]
    search_fields = ["name", "sku", "barcode"]
