from smart_container.api import OptionalSlashRouter, api_path

from .views import OrderRefundViewSet, PaymentNotifyView, RefundNotifyView

router = OptionalSlashRouter()
router.register("orders", OrderRefundViewSet, basename="order")  # only /orders/{id}/refunds

urlpatterns = [
    api_path("payments/wechat/notify", PaymentNotifyView.as_view(), name="wechatpay-notify"),
    api_path("payments/wechat/refund-notify", RefundNotifyView.as_view(), name="wechatpay-refund-notify"),
    *router.urls,
]
