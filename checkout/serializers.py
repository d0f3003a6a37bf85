from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.services import MAX_LINES, MAX_QUANTITY
from smart_container.fields import (
    StrictCharField,
    StrictIntegerField,
    StrictRegexField,
    StrictSlugField,
    StrictUUIDField,
)

from . import photos
from .lifecycle import failure_message
from .models import Recognition


class AlternativeSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price_fen = serializers.IntegerField()
    score = serializers.FloatField()


class BoxSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Refer to this box when choosing an alternative.")
    box = serializers.ListField(child=serializers.FloatField(), help_text="x1, y1, x2, y2 in photo pixels.")
    score = serializers.FloatField(help_text="Match confidence (cosine similarity).")
    unsure = serializers.BooleanField()
    alternatives = AlternativeSerializer(many=True)


class CartLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price_fen = serializers.IntegerField()
    quantity = serializers.IntegerField()
    subtotal_fen = serializers.IntegerField()
    confidence = serializers.FloatField(allow_null=True)
    unsure = serializers.BooleanField()
    source = serializers.ChoiceField(["recognized", "added", "chosen"])
    boxes = BoxSerializer(many=True)


class RecognitionSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    photo = serializers.SerializerMethodField(
        help_text="The photo (JPEG): a link signed for this recognition, valid CHECKOUT_PHOTO_LINK_SECONDS."
    )
    image_size = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField(help_text="Why it failed, in the request's language (else empty).")
    lines = CartLineSerializer(many=True, read_only=True)
    unknown = BoxSerializer(many=True, read_only=True)

    class Meta:
        model = Recognition
        fields = [
            "id",
            "status",
            "store",
            "photo",
            "image_size",
            "lines",
            "unknown",
            "total_fen",
            "corrected",
            "min_confidence",
            "failure",
            "error",
            "order",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_photo(self, recognition: Recognition) -> str:
        url = f"{reverse('recognition-photo', args=[recognition.pk])}?signature={photos.sign(recognition.pk)}"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_image_size(self, recognition: Recognition) -> list[int]:
        return [recognition.width, recognition.height]

    def get_error(self, recognition: Recognition) -> str:
        return failure_message(recognition)


class RecognizeRequestSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="The basket photo (JPEG, PNG, WebP or BMP).")
    store = serializers.SlugField(required=False, help_text="Store code; the default store when omitted.")


class PendingRecognitionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    poll = serializers.URLField(help_text="GET this until status is done or failed.")
    ends_by = serializers.DateTimeField(help_text="By then the recognition is done, or failed with a reason.")


class AddItemSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=64, required=False)
    barcode = StrictRegexField(r"^[0-9]{8,14}$", required=False)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)

    def validate(self, attrs):
        if bool(attrs.get("sku")) == bool(attrs.get("barcode")):
            raise serializers.ValidationError({"sku": [gettext("Give either a sku or a barcode.")]})
        return attrs


class QuantitySerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="0 removes the line.")


class ChooseSerializer(serializers.Serializer):
    sku = StrictCharField(
        max_length=64, required=False, help_text="One of the box's alternatives; for an unknown item, any product."
    )
    barcode = StrictRegexField(
        r"^[0-9]{8,14}$", required=False, help_text="For an unknown item: the product by its barcode instead."
    )

    def validate(self, attrs):
        if bool(attrs.get("sku")) == bool(attrs.get("barcode")):
            raise serializers.ValidationError({"sku": [gettext("Give either a sku or a barcode.")]})
        return attrs


class OrderLineRequestSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class OrderCreateSerializer(serializers.Serializer):
    recognition = StrictUUIDField(
        required=False, help_text="The recognition whose cart (as corrected) to order; `lines` may then be left out."
    )
    store = StrictSlugField(required=False, help_text="Store code; defaults to the recognition's store.")
    lines = OrderLineRequestSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_LINES,
        required=False,
        help_text="What to order; without it, the recognition's current cart.",
    )
