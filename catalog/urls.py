from rest_framework.routers import SimpleRouter

from .views import CategoryViewSet, ProductViewSet, StoreViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("products", ProductViewSet)
router.register("categories", CategoryViewSet)
router.register("stores", StoreViewSet)

urlpatterns = router.urls
