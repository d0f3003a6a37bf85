from smart_container.api import OptionalSlashRouter, api_path

from .browse import ProductsOnSaleViewSet, StoreInfoViewSet
from .views import OrderViewSet, RecognitionViewSet, RecognizeView

router = OptionalSlashRouter()
router.register("checkout/recognitions", RecognitionViewSet, basename="recognition")
router.register("checkout/stores", StoreInfoViewSet, basename="checkout-store")
router.register("checkout/products", ProductsOnSaleViewSet, basename="checkout-product")
router.register("orders", OrderViewSet)  # reading orders comes from orders.views

urlpatterns = [api_path("checkout/recognize", RecognizeView.as_view(), name="checkout-recognize"), *router.urls]
