"""API conventions shared by every app: pagination and the one JSON error shape.

Every 4xx/5xx answer under the API looks like::

    {"error": {"status": 400, "code": "invalid",
               "message": "price_fen: A valid integer is required.",
               "fields": [{"field": "price_fen", "code": "invalid", "message": "A valid integer is required."}]}}

``fields`` lists each offending input (dotted paths for nested ones); ``message`` is a one-line
summary for people, in the request's language (``LocaleMiddleware``: the language cookie, else
Accept-Language, else ``LANGUAGE_CODE``); ``code`` is the same in every language.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DependencyUnavailable, DomainError

logger = logging.getLogger(__name__)


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer with or without a trailing slash (``/api/v1/orders`` and ``/orders/``).

    Mini-program and script authors write both; a redirect would lose a POST body.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


def api_path(route: str, view, name: str) -> URLPattern:
    """A plain API route that, like the router's, answers with or without a trailing slash.

    ``route`` is a literal path of letters, digits, '/', '-' and '_' (no converters).
    """
    if not re.fullmatch(r"[A-Za-z0-9_/-]+", route):
        raise ValueError(f"api_path takes a literal route, not {route!r}")
    return re_path(rf"^{route}/?$", view, name=name)


def _whole_number(raw: str) -> int | None:
    """``raw`` as a whole number >= 1, or None; no ``int()`` of thousands of digits (a ValueError)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) < 1:
        return None
    return int(raw)


class Pagination(PageNumberPagination):
    """Pages of 50; ``page_size`` 1..200 and ``page`` a whole number from 1, anything else
    (empty included) a 400 naming it, not silently ignored.  A page past the last is DRF's 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # the schema says integer: "last" is no page number

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _whole_number(raw)
        if size is None or size > self.max_page_size:
            message = gettext("A whole number from 1 to %(most)d.") % {"most": self.max_page_size}
            raise exceptions.ValidationError({self.page_size_query_param: [message]}, code="invalid")
        return size

    def get_page_number(self, request, paginator) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw.isascii() and raw.isdigit() and len(raw) > 19:
            raise exceptions.NotFound(self.invalid_page_message)  # far past any last page
        number = _whole_number(raw)
        if number is None:
            raise exceptions.ValidationError({self.page_query_param: [gettext("A whole number from 1.")]})
        return number

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


def schema_paths_without_trailing_slash(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: document the canonical slash-less form of optional-slash routes."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [
                {"field": prefix, "code": getattr(item, "code", "invalid") or "invalid", "message": str(item)}
                for item in detail
            ]
        out = []
        for index, item in enumerate(detail):
            out.extend(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid") or "invalid", "message": str(detail)}]


def error_body(http_status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict:
    return {"error": {"status": http_status, "code": code, "message": message, "fields": fields or []}}


def domain_error_response(exc: DomainError) -> Response:
    """An application error (raised by a service) in the one error shape."""
    fields = [{"field": name, "code": exc.code, "message": m} for name, msgs in exc.fields.items() for m in msgs]
    return Response(error_body(exc.status, exc.code, str(exc.message), fields), status=exc.status, headers=exc.headers)


# A dependency that is down, frozen (its timeout fired) or refusing work: the request answers 503
# at once in the error shape, and succeeds again as soon as the dependency is back.
DATABASE_ERRORS = (OperationalError, InterfaceError)
REDIS_ERRORS = (RedisError, BrokerError)


def dependency_error(exc: Exception) -> DependencyUnavailable | None:
    """The 503 for a dependency failure, or None if ``exc`` is something else."""
    if isinstance(exc, DATABASE_ERRORS):
        message = gettext("The database is unavailable right now; try again in a few seconds.")
    elif isinstance(exc, REDIS_ERRORS):
        message = gettext("The task queue and cache (Redis) is unavailable right now; try again in a few seconds.")
    else:
        return None
    logger.warning("dependency unavailable: %s: %s", type(exc).__name__, str(exc)[:200])
    return DependencyUnavailable(message)


class DependencyUnavailableMiddleware:
    """A dependency failure in a plain Django view (back-office pages) is a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        error = dependency_error(exc)
        if error is None:
            return None
        if _for_api(request):
            body = error_body(error.status, error.code, error.message)
            return JsonResponse(body, status=error.status, headers=error.headers)
        return HttpResponse(error.message, status=error.status, headers=error.headers, content_type="text/plain")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler producing the one error shape."""
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    down = dependency_error(exc)
    if down is not None:
        return domain_error_response(down)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        # A uniqueness race lost at the database (two creates of one SKU at once).
        logger.warning("integrity error: %s", exc)
        return Response(
            error_body(
                409, "conflict", gettext("The change conflicts with existing data (a duplicate?); nothing was saved.")
            ),
            status=status.HTTP_409_CONFLICT,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body(500, "server_error", gettext("Internal server error.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        summary = "; ".join(f"{f['field']}: {f['message']}" if f["field"] else f["message"] for f in fields)
        code = exc.default_code
        if fields and all(f["code"] == "unique" for f in fields):
            # Taken already (a SKU, a store code): the request is fine, the data it meets is not.
            response.status_code, code = status.HTTP_409_CONFLICT, "conflict"
        response.data = error_body(response.status_code, code, summary or gettext("Invalid input."), fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else code
        response.data = error_body(response.status_code, code, str(detail))
    return response


def _json_error(http_status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(http_status, code, message), status=http_status)


def _for_api(request) -> bool:
    """The API and its clients get the JSON shape; people on the back office get Django's pages."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def handler400(request, exception=None):
    if not _for_api(request):
        return defaults.bad_request(request, exception)
    return _json_error(400, "bad_request", gettext("Bad request."))


def handler403(request, exception=None):
    if not _for_api(request):
        return defaults.permission_denied(request, exception)
    return _json_error(403, "permission_denied", gettext("You do not have permission to perform this action."))


def handler404(request, exception=None):
    if not _for_api(request):
        return defaults.page_not_found(request, exception)
    return _json_error(404, "not_found", gettext("No such resource: %(path)s") % {"path": request.path})


def handler500(request):
    if not _for_api(request):
        return defaults.server_error(request)
    return _json_error(500, "server_error", gettext("Internal server error."))
