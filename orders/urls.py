from rest_framework.routers import SimpleRouter

from .views import OrderViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("orders", OrderViewSet)

urlpatterns = router.urls
