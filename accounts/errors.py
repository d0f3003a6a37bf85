"""What logging in refuses (application errors: see smart_container.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from smart_container.errors import DomainError, ProviderError, RateLimited, Unavailable


class WeChatBusy(Unavailable):
    code = "wechat_busy"
    message = gettext_lazy("WeChat is busy; try logging in again in a moment.")


class WeChatNotConfigured(Unavailable):
    """Our side lacks the mini-program's credentials: no call to WeChat is even attempted."""

    code = "wechat_not_configured"
    message = gettext_lazy(
        "WeChat login is not configured: set WECHAT_APP_ID and WECHAT_APP_SECRET "
        "(for development, `manage.py rundemo` starts a local WeChat fake and configures it)."
    )


class WeChatMisconfigured(ProviderError):
    code = "wechat_error"
    message = gettext_lazy("WeChat refused our app credentials; the operator has been alerted.")


class WeChatRateLimited(RateLimited):
    code = "wechat_rate_limited"
    message = gettext_lazy("WeChat is limiting logins right now; try again in a minute.")


class TokenRejected(DomainError):
    """A customer token that is expired, invalid, of the wrong kind or already used (401)."""

    status, code, message = 401, "token_invalid", gettext_lazy("The token is not valid.")

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}  # the client should log in again or refresh
