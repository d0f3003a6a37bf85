from smart_container.api import api_path

from .views import PaymentNotifyView, RefundNotifyView

urlpatterns = [
    api_path("payments/wechat/notify", PaymentNotifyView.as_view(), name="wechatpay-notify"),
    api_path("payments/wechat/refund-notify", RefundNotifyView.as_view(), name="wechatpay-refund-notify"),
]
