from smart_container.api import api_path

from .views import RefreshView, WeChatLoginView

urlpatterns = [
    api_path("auth/wechat/login", WeChatLoginView.as_view(), name="wechat-login"),
    api_path("auth/refresh", RefreshView.as_view(), name="token-refresh"),
]
