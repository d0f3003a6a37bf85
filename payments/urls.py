from django.urls import path

from .views import PaymentNotifyView, RefundNotifyView

urlpatterns = [
    path("payments/wechat/notify", PaymentNotifyView.as_view(), name="wechatpay-notify"),
    path("payments/wechat/refund-notify", RefundNotifyView.as_view(), name="wechatpay-refund-notify"),
]
