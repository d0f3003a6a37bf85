"""Staff endpoints: a product's reference photos and the gallery status."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product, ProductImage
from smart_container.parsers import MultiPartParser

from . import services
from .selectors import gallery_status
from .serializers import (
    GalleryPhotoSerializer,
    GalleryStatusSerializer,
    PhotoUploadResultSerializer,
    PhotoUploadSerializer,
)

PRODUCT_ID = OpenApiParameter("product_pk", int, OpenApiParameter.PATH, description="Product id")


@extend_schema(parameters=[PRODUCT_ID])
class ProductPhotoViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """``/products/{id}/images``: upload, list and delete a product's reference photos."""

    serializer_class = GalleryPhotoSerializer
    queryset = ProductImage.objects.select_related("embedding")

    def get_product(self) -> Product:
        return get_object_or_404(Product, pk=self.kwargs["product_pk"])

    def get_queryset(self):
        return super().get_queryset().filter(product=self.get_product())

    @extend_schema(
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoUploadResultSerializer(many=True)},
    )
    def create(self, request, *args, **kwargs):
        """Upload photos (multipart field ``images``, repeatable); each is embedded by the gallery queue."""
        product = self.get_product()
        files = request.FILES.getlist("images")
        uploads = [services.Upload(f.read(), f.name) for f in files]
        added = services.add_photos(product, uploads, actor=request.user)
        data = []
        for item in added:
            row = GalleryPhotoSerializer(item.image, context=self.get_serializer_context()).data
            row["gallery_status"] = item.embedding.status
            row["created"] = item.created
            data.append(row)
        return Response(data, status=status.HTTP_201_CREATED)

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def perform_destroy(self, instance: ProductImage) -> None:
        services.remove_photo(instance, actor=self.request.user)


class GalleryStatusView(APIView):
    """Photos indexed / pending / failed (with reasons), gallery version and what each worker serves."""

    @extend_schema(responses=GalleryStatusSerializer)
    def get(self, request):
        return Response(GalleryStatusSerializer(gallery_status()).data)
