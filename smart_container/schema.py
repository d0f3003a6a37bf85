"""The OpenAPI schema tells the truth about errors and authentication.

drf-spectacular documents the success answer of each operation.  This AutoSchema adds, to every
operation, each error status the operation can answer, all in the one error shape
(``smart_container.api.error_body``), derived from what the view really does:

- 400 for a request body or query parameters (validation), 413 for a body over the parser's
  limit and 415 for a body that is not of the documented media type;
- 401 when credentials can be sent (an invalid or expired Bearer token), 403 unless the
  operation is open to anyone, 404 for a path with parameters or a paginated list (a page out
  of range), 409 for a write (a uniqueness race lost at the database), 429 for a throttled view;
- 503 everywhere (a dependency down or frozen: smart_container.api.dependency_error);
- whatever a view declares with ``@api_errors({409: "why", 503: "why"})`` on top.

Security requirements list only the authentication the operation accepts: a permission class
names the authenticators that can satisfy it in ``authenticated_by`` (``IsAdminUser``: session
and HTTP Basic), so a staff-only operation does not offer the customer token and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import authentication, permissions, serializers

STAFF_AUTHENTICATORS = (authentication.SessionAuthentication, authentication.BasicAuthentication)

DESCRIPTIONS = {
    400: "Invalid input: `error.fields` names each offending field.",
    401: "The credentials sent are invalid or expired (a customer refreshes the token).",
    403: "Not allowed: not logged in, or not with a role that may do this.",
    404: "No such resource (or not yours), or a page out of range.",
    409: "Conflicts with the current state of the data; nothing was changed.",
    413: "The request body is larger than this endpoint accepts.",
    415: "The request body is not of a media type this endpoint accepts.",
    429: "Too many requests from this client; retry after the Retry-After seconds.",
    502: "WeChat refused our credentials (a configuration problem on our side).",
    503: "A service this needs is unavailable (the database, Redis, WeChat); retry later (Retry-After when given).",
}


class ErrorFieldSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path of the input; empty for the request as a whole.")
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Machine-readable reason, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="One line for people.")
    fields = ErrorFieldSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every 4xx/5xx answer (smart_container.api.error_body)."""

    error = ErrorBodySerializer()


def api_errors(statuses: dict[int, str]) -> Callable:
    """Declare error statuses a view method (or view class) answers beyond the derived ones."""

    def decorate(target):
        target._api_errors = {**getattr(target, "_api_errors", {}), **statuses}
        return target

    return decorate


class AutoSchema(SpectacularAutoSchema):
    # --- authentication
    def _accepted_authenticators(self) -> list:
        authenticators = self.view.get_authenticators()
        accepted: tuple | None = None
        for permission in self.view.get_permissions():
            if isinstance(permission, permissions.AllowAny):
                continue
            classes = getattr(permission, "authenticated_by", None)
            if classes is None and type(permission) is permissions.IsAdminUser:
                classes = STAFF_AUTHENTICATORS
            if classes is not None:
                accepted = tuple(classes) if accepted is None else tuple(c for c in accepted if c in classes)
        if accepted is None:
            return authenticators
        return [a for a in authenticators if isinstance(a, accepted)]

    def _open_to_anyone(self) -> bool:
        return all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def get_auth(self) -> list:
        if self._open_to_anyone():
            return []
        accepted = self._accepted_authenticators()
        self.view.get_authenticators = lambda: accepted
        try:
            return super().get_auth()
        finally:
            del self.view.get_authenticators

    # --- error answers
    def _declared_errors(self) -> dict[int, str]:
        action = getattr(self.view, "action", None)
        method = getattr(self.view, action, None) if action else getattr(self.view, self.method.lower(), None)
        return {**getattr(type(self.view), "_api_errors", {}), **getattr(method, "_api_errors", {})}

    def error_statuses(self) -> dict[int, str]:
        statuses: dict[int, str] = {}
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if has_body:
            statuses |= {400: "", 413: "", 415: ""}
        if any(p.get("in") == "query" for p in self._get_parameters()):
            statuses[400] = ""
        if self.view.get_authenticators():
            statuses[401] = ""
        if not self._open_to_anyone():
            statuses[403] = ""
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            statuses[404] = ""
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses[409] = ""
        if self.view.get_throttles():
            statuses[429] = ""
        statuses[503] = ""  # the database or Redis down or frozen, every operation (docs/failure-modes.md)
        statuses |= self._declared_errors()
        return {code: text or DESCRIPTIONS.get(code, "") for code, text in sorted(statuses.items())}

    def _get_response_bodies(self, direction="response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for code, description in self.error_statuses().items():
            entry = responses.setdefault(str(code), {"description": description})
            entry.setdefault("content", {"application/json": {"schema": error_ref}})
            entry["description"] = entry.get("description") or description
        return dict(sorted(responses.items()))

    # --- request bodies
    def _get_request_for_media_type(self, serializer, direction="request"):
        """DRF makes the request serializer partial for ``partial_update`` only: a custom PATCH
        action (change a cart line's quantity) requires its fields."""
        action = getattr(self.view, "action", None)
        if self.method != "PATCH" or action in (None, "partial_update"):
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Nested ``many=True`` serializers: the bounds DRF enforces (allow_empty, max_length)."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema and schema.get("type") == "array":
            if not field.allow_empty:
                schema.setdefault("minItems", 1)
            if field.max_length is not None:
                schema.setdefault("maxItems", field.max_length)
            if field.min_length is not None:
                schema["minItems"] = max(schema.get("minItems", 0), field.min_length)
        return schema
