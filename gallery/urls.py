from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import GalleryStatusView, ProductPhotoViewSet

router = SimpleRouter(trailing_slash="/?")
router.register(r"products/(?P<product_pk>[0-9]+)/images", ProductPhotoViewSet, basename="product-images")

urlpatterns = [
    path("gallery/status", GalleryStatusView.as_view(), name="gallery-status"),
    *router.urls,
]
