from django.urls import path

from .views import RefreshView, WeChatLoginView

urlpatterns = [
    path("auth/wechat/login", WeChatLoginView.as_view(), name="wechat-login"),
    path("auth/refresh", RefreshView.as_view(), name="token-refresh"),
]
