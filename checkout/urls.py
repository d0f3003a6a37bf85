from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import RecognitionViewSet, RecognizeView

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("checkout/recognitions", RecognitionViewSet, basename="recognition")

urlpatterns = [path("checkout/recognize", RecognizeView.as_view(), name="checkout-recognize"), *router.urls]
