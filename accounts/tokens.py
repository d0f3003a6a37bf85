"""Our own customer tokens: a short-lived access token and a single-use refresh token (JWT, HS256)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext, gettext_lazy

from .errors import TokenRejected

# Why a token is refused, said for each kind (a translator sees whole sentences).
REFUSALS = {
    "access": {
        "expired": gettext_lazy("The access token has expired."),
        "invalid": gettext_lazy("The access token is not valid."),
        "wrong_kind": gettext_lazy("This is not an access token."),
    },
    "refresh": {
        "expired": gettext_lazy("The refresh token has expired."),
        "invalid": gettext_lazy("The refresh token is not valid."),
        "wrong_kind": gettext_lazy("This is not a refresh token."),
    },
}

ISSUER = "smart-container"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int


def _encode(customer_id: int, kind: str, ttl: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(customer_id),
        "typ": kind,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")


def issue_tokens(customer_id: int) -> TokenPair:
    return TokenPair(
        access=_encode(customer_id, "access", settings.AUTH_ACCESS_TOKEN_SECONDS),
        refresh=_encode(customer_id, "refresh", settings.AUTH_REFRESH_TOKEN_SECONDS),
        access_expires_in=settings.AUTH_ACCESS_TOKEN_SECONDS,
    )


def decode(token: str, kind: str) -> dict:
    """The claims of a valid, unexpired token of ``kind``; TokenRejected otherwise."""
    try:
        claims = jwt.decode(
            token, settings.SECRET_KEY, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub", "jti"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected(REFUSALS[kind]["expired"], code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(REFUSALS[kind]["invalid"]) from exc
    if claims.get("typ") != kind:
        raise TokenRejected(REFUSALS[kind]["wrong_kind"])
    return claims


def rotate(refresh_token: str) -> tuple[int, TokenPair]:
    """Trade a refresh token for a new pair.  Each refresh token works once (replays are refused)."""
    claims = decode(refresh_token, "refresh")
    remaining = max(1, int(claims["exp"] - time.time()))
    if not cache.add(f"auth:refresh-used:{claims['jti']}", 1, timeout=remaining):
        raise TokenRejected(gettext("This refresh token has already been used."), code="token_reused")
    customer_id = int(claims["sub"])
    return customer_id, issue_tokens(customer_id)
