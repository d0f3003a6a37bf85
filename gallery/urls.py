from smart_container.api import OptionalSlashRouter, api_path

from .views import GalleryStatusView, ProductPhotoViewSet

router = OptionalSlashRouter()
router.register(r"products/(?P<product_pk>[0-9]+)/images", ProductPhotoViewSet, basename="product-images")

urlpatterns = [
    api_path("gallery/status", GalleryStatusView.as_view(), name="gallery-status"),
    *router.urls,
]
