from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from catalog.models import ProductImage

from .models import GalleryEmbedding


class GalleryPhotoSerializer(serializers.ModelSerializer):
    """A reference photo with where it is in the gallery."""

    gallery_status = serializers.SerializerMethodField(help_text="pending, indexed or failed")
    failure_reason = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()
    indexed_at = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = [
            "id",
            "image",
            "width",
            "height",
            "sha256",
            "created_at",
            "gallery_status",
            "failure_reason",
            "model_version",
            "indexed_at",
        ]
        read_only_fields = fields

    def _embedding(self, obj: ProductImage) -> GalleryEmbedding | None:
        try:
            return obj.embedding
        except GalleryEmbedding.DoesNotExist:
            return None

    def get_gallery_status(self, obj: ProductImage) -> str:
        embedding = self._embedding(obj)
        return embedding.status if embedding else GalleryEmbedding.Status.PENDING

    def get_failure_reason(self, obj: ProductImage) -> str:
        embedding = self._embedding(obj)
        return embedding.failure_reason if embedding else ""

    def get_model_version(self, obj: ProductImage) -> str:
        embedding = self._embedding(obj)
        return embedding.model_version if embedding else ""

    def get_indexed_at(self, obj: ProductImage) -> str | None:
        embedding = self._embedding(obj)
        if not embedding or not embedding.indexed_at:
            return None
        return timezone.localtime(embedding.indexed_at).isoformat()  # the stores' offset, as every time we send


class PhotoUploadSerializer(serializers.Serializer):
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        allow_empty=False,
        min_length=1,  # the schema's minItems: an upload without a photo is not a valid request
        help_text="One or more photos.",
    )


class PhotoUploadResultSerializer(GalleryPhotoSerializer):
    created = serializers.BooleanField(help_text="False when the same photo was already there.")

    class Meta(GalleryPhotoSerializer.Meta):
        fields = [*GalleryPhotoSerializer.Meta.fields, "created"]
        read_only_fields = fields


class GalleryFailureSerializer(serializers.Serializer):
    image_id = serializers.IntegerField()
    sku = serializers.CharField()
    reason = serializers.CharField()
    updated_at = serializers.DateTimeField()


class GalleryWorkerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="host:pid")
    version = serializers.IntegerField(help_text="Gallery version this process serves.")
    generation = serializers.IntegerField()
    behind = serializers.IntegerField(allow_null=True, help_text="Versions behind the head (null: reloading).")
    model_version = serializers.CharField()
    entries = serializers.IntegerField()
    consistent = serializers.BooleanField(allow_null=True)
    alive = serializers.BooleanField()
    heartbeat_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField()


class GalleryStatusSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    generation = serializers.IntegerField()
    model_version = serializers.CharField()
    indexed = serializers.IntegerField()
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    stale = serializers.IntegerField(help_text="Indexed photos embedded by another model version.")
    failures = GalleryFailureSerializer(many=True)
    workers = GalleryWorkerSerializer(many=True)
    compacted_at = serializers.DateTimeField(allow_null=True)
    last_check = serializers.DictField()
