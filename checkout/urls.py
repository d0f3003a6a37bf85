from smart_container.api import OptionalSlashRouter, api_path

from .views import RecognitionViewSet, RecognizeView

router = OptionalSlashRouter()
router.register("checkout/recognitions", RecognitionViewSet, basename="recognition")

urlpatterns = [api_path("checkout/recognize", RecognizeView.as_view(), name="checkout-recognize"), *router.urls]
