from django.urls import re_path

from smart_container.api import OptionalSlashRouter, api_path

from .browse import ProductsOnSaleViewSet, StoreInfoViewSet
from .views import OrderViewSet, RecognitionPhotoView, RecognitionViewSet, RecognizeView

router = OptionalSlashRouter()
router.register("checkout/recognitions", RecognitionViewSet, basename="recognition")
router.register("checkout/stores", StoreInfoViewSet, basename="checkout-store")
router.register("checkout/products", ProductsOnSaleViewSet, basename="checkout-product")
router.register("orders", OrderViewSet)  # reading orders comes from orders.views

urlpatterns = [
    api_path("checkout/recognize", RecognizeView.as_view(), name="checkout-recognize"),
    # A UUID, with or without the trailing slash, like the router's routes.
    re_path(
        r"^checkout/recognitions/(?P<pk>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/photo/?$",
        RecognitionPhotoView.as_view(),
        name="recognition-photo",
    ),
    *router.urls,
]
