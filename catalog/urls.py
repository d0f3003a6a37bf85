from smart_container.api import OptionalSlashRouter

from .views import CategoryViewSet, ProductViewSet, StoreViewSet

router = OptionalSlashRouter()
router.register("products", ProductViewSet)
router.register("categories", CategoryViewSet)
router.register("stores", StoreViewSet)

urlpatterns = router.urls
