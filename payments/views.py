"""WeChat Pay's notification endpoints (open to the internet, trusted only after verification) and
staff refunds."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import Order
from orders.serializers import RefundSerializer

from . import notifications
from .refunds import request_refund
from .serializers import RefundCreateSerializer
from .wechatpay import NOTIFY_HEADERS


def _notify_headers(request) -> dict[str, str]:
    return {name: request.headers.get(name, "") for name in NOTIFY_HEADERS}


NOTIFY_HEADER_HELP = {
    "Wechatpay-Signature": "Base64 RSA-SHA256 signature of timestamp, nonce and body.",
    "Wechatpay-Timestamp": "Unix seconds; older than WECHATPAY_NOTIFY_MAX_AGE_SECONDS is refused.",
    "Wechatpay-Nonce": "Random string; a nonce seen before is a replay.",
    "Wechatpay-Serial": "The WeChat Pay public key id (or platform certificate serial) that signed.",
    "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048.",
}
NOTIFY_SCHEMA = extend_schema(
    request={"application/json": {"type": "object", "description": "WeChat Pay v3 notification envelope"}},
    parameters=[
        OpenApiParameter(name, str, OpenApiParameter.HEADER, required=True, description=NOTIFY_HEADER_HELP[name])
        for name in NOTIFY_HEADERS
    ],
    responses={
        204: OpenApiResponse(description="Accepted (also for duplicates of an applied notification)."),
        400: OpenApiResponse(description="Refused: forged, stale, replayed, unknown or mismatched."),
    },
)


class NotifyView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    handler = staticmethod(notifications.handle_payment_notification)

    @NOTIFY_SCHEMA
    def post(self, request):
        self.handler(_notify_headers(request), request.body)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentNotifyView(NotifyView):
    """TRANSACTION.SUCCESS notifications (the URL given as notify_url at prepay)."""


class RefundNotifyView(NotifyView):
    """REFUND.* notifications (the notify_url given with each refund)."""

    handler = staticmethod(notifications.handle_refund_notification)


class OrderRefundViewSet(viewsets.GenericViewSet):
    """``/orders/{id}/refunds``: the one route of ``orders`` the payments app serves."""

    queryset = Order.objects.all()
    permission_classes = [permissions.IsAdminUser]
    serializer_class = RefundCreateSerializer  # what OPTIONS describes

    @extend_schema(request=RefundCreateSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        """Staff: refund part or all of a paid order (idempotent per out_refund_no)."""
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = request_refund(self.get_object(), requested_by=request.user, **serializer.validated_data)
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)
