"""Login endpoints for the mini-program: anonymous, throttled, answer with our token pair."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from smart_container.schema import api_errors
from smart_container.throttling import ScopedRateThrottle

from . import services, tokens
from .serializers import RefreshSerializer, TokenPairSerializer, WeChatLoginSerializer


def _token_response(customer_id: int, pair: tokens.TokenPair) -> Response:
    return Response(
        {
            "access": pair.access,
            "refresh": pair.refresh,
            "token_type": "Bearer",
            "expires_in": pair.access_expires_in,
            "customer": customer_id,
        }
    )


class WeChatLoginView(APIView):
    """Exchange a wx.login() code for our access + refresh tokens."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "wechat_login"

    @extend_schema(request=WeChatLoginSerializer, responses=TokenPairSerializer)
    def post(self, request):
        serializer = WeChatLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer, pair = services.login_with_wechat_code(serializer.validated_data["code"])
        return _token_response(customer.pk, pair)


class RefreshView(APIView):
    """Trade a refresh token (single use) for a new token pair."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "wechat_login"

    def get_authenticate_header(self, request) -> str:
        return "Bearer"  # a bad refresh token is a 401, as for access tokens

    @api_errors({401: "The refresh token is invalid, expired or already used: log in again."})
    @extend_schema(request=RefreshSerializer, responses=TokenPairSerializer)
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_id, pair = tokens.rotate(serializer.validated_data["refresh"])
        return _token_response(customer_id, pair)
