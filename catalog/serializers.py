from __future__ import annotations

from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from smart_container.fields import (
    FenField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictPrimaryKeyRelatedField,
    StrictRegexField,
)

from .models import BARCODE_VALIDATOR, MAX_PRICE_FEN, MAX_STOCK, Category, PriceChange, Product, ProductImage, Store


class StoreSerializer(StrictModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "code", "name", "address", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class CategorySerializer(StrictModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]
        read_only_fields = ["id"]


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "width", "height", "sha256", "created_at"]
        read_only_fields = fields


class ProductSerializer(StrictModelSerializer):
    price_fen = FenField(max_value=MAX_PRICE_FEN)
    stock = StrictIntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    category = StrictPrimaryKeyRelatedField(queryset=Category.objects.all(), allow_null=True, required=False)
    # The schema's pattern says what is taken: 8 to 14 digits, or "" (like null: no barcode).
    barcode = StrictRegexField(
        r"^(?:[0-9]{8,14})?$",
        max_length=14,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[UniqueValidator(queryset=Product.objects.all())],
        error_messages={"invalid": BARCODE_VALIDATOR.message},
        help_text='8 to 14 digits (EAN/UPC/GTIN); "" or null: none.',
    )
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "barcode",
            "category",
            "price_fen",
            "stock",
            "is_active",
            "images",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "images", "created_at", "updated_at"]

    def validate_barcode(self, value: str | None) -> str | None:
        return value or None  # "" means "no barcode", stored as NULL so uniqueness ignores it


class PriceChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.StringRelatedField(allow_null=True, help_text="Null for imports and the first price.")

    class Meta:
        model = PriceChange
        fields = ["id", "old_price_fen", "new_price_fen", "changed_by", "source", "changed_at"]
        read_only_fields = fields
