from rest_framework.routers import SimpleRouter

from .views import OrderViewSet

router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor turns any truthy value into "/": set the optional slash here
router.register("orders", OrderViewSet)

urlpatterns = router.urls
