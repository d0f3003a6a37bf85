from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import GalleryStatusView, ProductPhotoViewSet


class OptionalSlashRouter(SimpleRouter):
    """``/images`` and ``/images/`` both resolve (DRF 3.16 turns ``trailing_slash="/?"`` into "/")."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register(r"products/(?P<product_pk>[0-9]+)/images", ProductPhotoViewSet, basename="product-images")

urlpatterns = [
    path("gallery/status", GalleryStatusView.as_view(), name="gallery-status"),
    *router.urls,
]
