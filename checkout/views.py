"""The customer's checkout API: recognise a photo, poll it, correct the cart, order it, pay."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import IsCustomer, IsCustomerOrStaff, customer_of
from orders import views as order_views
from orders.models import Order
from orders.serializers import CustomerOrderSerializer
from payments.paying import start_payment, sync_payment
from payments.serializers import PayParamsSerializer
from smart_container.parsers import FormParser, MultiPartParser
from smart_container.throttling import ScopedRateThrottle

from . import lifecycle, photos, services
from .models import Recognition
from .serializers import (
    AddItemSerializer,
    ChooseSerializer,
    OrderCreateSerializer,
    PendingRecognitionSerializer,
    QuantitySerializer,
    RecognitionSerializer,
    RecognizeRequestSerializer,
)


class RecognitionUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "recognition_unavailable"


class RecognizeView(APIView):
    """Upload a basket photo; answers the priced cart, or 202 with a URL to poll if the worker is slow."""

    permission_classes = [IsCustomer]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "recognize"

    @extend_schema(
        request={"multipart/form-data": RecognizeRequestSerializer},
        responses={
            200: RecognitionSerializer,
            202: PendingRecognitionSerializer,
            400: OpenApiResponse(description="Not a photo we can read (`error.fields` names `image`)."),
            413: OpenApiResponse(description="Photo too large."),
            503: OpenApiResponse(description="Recognition unavailable."),
        },
    )
    def post(self, request):
        form = RecognizeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["image"]
        services.refuse_oversized(upload.size)  # before reading it into memory
        recognition = services.create_recognition(
            customer=customer_of(request),
            store=services.resolve_store(form.validated_data.get("store")),
            data=upload.read(),
        )
        lifecycle.queue(recognition)
        recognition = lifecycle.wait(recognition, settings.CHECKOUT_RECOGNIZE_WAIT_SECONDS)
        if recognition.status == Recognition.Status.PENDING:  # slow worker: the client polls
            poll = request.build_absolute_uri(reverse("recognition-detail", args=[recognition.pk]))
            body = {"id": recognition.pk, "status": recognition.status, "poll": poll}
            body["ends_by"] = lifecycle.deadline_of(recognition)
            return Response(
                PendingRecognitionSerializer(body).data, status=status.HTTP_202_ACCEPTED, headers={"Location": poll}
            )
        if recognition.status == Recognition.Status.FAILED:
            if recognition.failure == Recognition.Failure.BAD_IMAGE:
                raise exceptions.ValidationError({"image": [lifecycle.failure_message(recognition)]}, code="bad_image")
            raise RecognitionUnavailable(lifecycle.failure_message(recognition))
        return Response(RecognitionSerializer(recognition, context={"request": request}).data)


class RecognitionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A recognition and its cart.  Every correction reprices the whole cart from the catalog."""

    queryset = Recognition.objects.select_related("store")
    serializer_class = RecognitionSerializer

    def get_permissions(self):
        return [IsCustomerOrStaff()] if self.action == "retrieve" else [IsCustomer()]

    def get_queryset(self):
        customer = customer_of(self.request)
        queryset = super().get_queryset()
        return queryset.filter(customer=customer) if customer is not None else queryset

    def get_object(self) -> Recognition:
        """The recognition, after the watchdog had its say: a poll never sees one pending for ever."""
        return lifecycle.enforce_deadline(super().get_object())

    def _answer(self, recognition: Recognition) -> Response:
        return Response(RecognitionSerializer(recognition, context={"request": self.request}).data)

    @extend_schema(request=AddItemSerializer, responses=RecognitionSerializer)
    @action(detail=True, methods=["post"], url_path="lines")
    def add_line(self, request, pk=None):
        """Add an item the camera missed, by SKU or barcode."""
        form = AddItemSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(services.add_item(self.get_object(), **form.validated_data))

    @extend_schema(request=QuantitySerializer, responses=RecognitionSerializer)
    @action(detail=True, methods=["patch", "put"], url_path=r"lines/(?P<sku>[A-Za-z0-9._-]+)")
    def change_line(self, request, pk=None, sku=None):
        """Change a line's quantity (0 removes it).  PUT too: wx.request has no PATCH."""
        form = QuantitySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(services.set_quantity(self.get_object(), sku, form.validated_data["quantity"]))

    @extend_schema(request=None, responses={200: RecognitionSerializer})  # the cart as it now is, not a 204
    @change_line.mapping.delete
    def remove_line(self, request, pk=None, sku=None):
        """Remove a line."""
        return self._answer(services.set_quantity(self.get_object(), sku, 0))

    @extend_schema(request=ChooseSerializer, responses=RecognitionSerializer)
    @action(detail=True, methods=["post"], url_path=r"boxes/(?P<box_id>[0-9]+)/choose")
    def choose(self, request, pk=None, box_id=None):
        """Pick one of the alternatives offered for an unsure box, or the product an unknown item is."""
        form = ChooseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(services.choose_alternative(self.get_object(), int(box_id), **form.validated_data))

    @extend_schema(request=None, responses={200: RecognitionSerializer})  # the cart as it now is, not a 204
    @action(detail=True, methods=["delete"], url_path=r"boxes/(?P<box_id>[0-9]+)")
    def remove_box(self, request, pk=None, box_id=None):
        """Remove a box: an unknown item the customer is not buying, or an item counted twice."""
        return self._answer(services.remove_box(self.get_object(), int(box_id)))


class HasPhotoLink(permissions.BasePermission):
    """A valid signed link to this recognition's photo (what the API hands out; see checkout/photos.py)."""

    def has_permission(self, request, view) -> bool:
        signature = request.query_params.get("signature", "")
        return bool(signature) and photos.verify(view.kwargs["pk"], signature)


class RecognitionPhotoView(APIView):
    """A checkout photo (JPEG): to its customer, to staff, or with the signed link of the recognition's answer."""

    permission_classes = [HasPhotoLink | IsCustomerOrStaff]

    def perform_content_negotiation(self, request, force=False):
        return renderers.JSONRenderer(), "application/json"  # errors are JSON whatever an <img> accepts

    def get_authenticate_header(self, request) -> str:
        """401, not 403, without credentials or with an expired link: log in, or fetch the recognition again."""
        return "Bearer"

    @extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter(
                "signature", str, description="From the recognition's `photo` link; valid for a limited time."
            ),
        ],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
        auth=[{"customerToken": []}, {"cookieAuth": []}, {"basicAuth": []}, {}],  # {}: the signed link alone
    )
    def get(self, request, pk):
        recognitions = Recognition.objects.all()
        customer = customer_of(request)
        if customer is not None and not HasPhotoLink().has_permission(request, self):
            recognitions = recognitions.filter(customer=customer)
        recognition = get_object_or_404(recognitions, pk=pk)
        return photos.photo_response(recognition)


# ``/orders``: reading them (the orders app's viewset) plus the journey's steps on them: order the
# cart, get WeChat Pay's parameters, ask WeChat whether the customer paid.  (A comment, not a
# docstring: the schema would show it as the description of listing and reading orders.)
class OrderViewSet(mixins.CreateModelMixin, order_views.OrderViewSet):
    throttle_scope = "order_create"  # THROTTLE_ORDER_CREATE, per customer: each order reserves stock

    def get_permissions(self):
        if self.action in ("create", "pay", "check_payment"):
            return [IsCustomer()]
        return super().get_permissions()

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.action == "create" else super().get_throttles()

    @extend_schema(request=OrderCreateSerializer, responses={201: CustomerOrderSerializer})
    def create(self, request, *args, **kwargs):
        """Order the cart: the server prices every line and reserves the stock."""
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.place_order(customer=customer_of(request), **serializer.validated_data)
        order = self.get_queryset().get(pk=order.pk)
        return Response(CustomerOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PayParamsSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """WeChat Pay (JSAPI) parameters for wx.requestPayment; the order is paid when WeChat says so."""
        return Response(start_payment(self.get_object()))

    @extend_schema(request=None, responses=CustomerOrderSerializer)
    @action(detail=True, methods=["post"], url_path="check-payment")
    def check_payment(self, request, pk=None):
        """The client believes it paid: ask WeChat Pay (never trust the client) and answer the order."""
        order = self.get_object()
        payment = order.payments.first()
        if payment is not None and order.status == Order.Status.CREATED:
            sync_payment(payment)
        return Response(CustomerOrderSerializer(self.get_queryset().get(pk=order.pk)).data)
