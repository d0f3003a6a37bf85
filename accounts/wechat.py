"""The code2session client: trades a mini-program login code for the user's openid.

The session key WeChat returns is dropped here; it never reaches the database or a client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.translation import gettext

from smart_container.errors import InvalidInput

from .errors import WeChatBusy, WeChatMisconfigured, WeChatNotConfigured, WeChatRateLimited

logger = logging.getLogger(__name__)

INVALID_CODE_ERRORS = {40029, 40163, 40226, 41008}
RATE_LIMITED_ERRORS = {45011}
BUSY_ERRORS = {-1}


@dataclass(frozen=True)
class WeChatIdentity:
    app_id: str
    openid: str
    unionid: str | None


def code2session(code: str) -> WeChatIdentity:
    """Ask WeChat who ``code`` belongs to; WeChat errors become clear API errors."""
    if not (settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET):
        raise WeChatNotConfigured()
    try:
        response = requests.get(
            f"{settings.WECHAT_API_BASE_URL.rstrip('/')}/sns/jscode2session",
            params={
                "appid": settings.WECHAT_APP_ID,
                "secret": settings.WECHAT_APP_SECRET,
                "js_code": code,
                "grant_type": "authorization_code",
            },
            timeout=settings.WECHAT_HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("code2session unreachable or unreadable: %s", exc)
        raise WeChatBusy() from exc
    errcode = body.get("errcode") or 0
    if errcode in INVALID_CODE_ERRORS:
        raise InvalidInput(
            fields={"code": [gettext("WeChat rejected the login code (%(reason)s).") % {"reason": body.get("errmsg")}]}
        )
    if errcode in RATE_LIMITED_ERRORS:
        raise WeChatRateLimited(retry_after=60)
    if errcode in BUSY_ERRORS:
        raise WeChatBusy()
    if errcode or not body.get("openid"):
        logger.error("code2session failed: errcode=%s errmsg=%s", errcode, body.get("errmsg"))
        raise WeChatMisconfigured()
    return WeChatIdentity(settings.WECHAT_APP_ID, body["openid"], body.get("unionid"))
