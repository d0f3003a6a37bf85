from smart_container.api import OptionalSlashRouter

from .views import OrderViewSet

router = OptionalSlashRouter()
router.register("orders", OrderViewSet)

urlpatterns = router.urls
