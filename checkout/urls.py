from django.urls import path

from smart_container.api import OptionalSlashRouter

from .views import RecognitionViewSet, RecognizeView

router = OptionalSlashRouter()
router.register("checkout/recognitions", RecognitionViewSet, basename="recognition")

urlpatterns = [path("checkout/recognize", RecognizeView.as_view(), name="checkout-recognize"), *router.urls]
