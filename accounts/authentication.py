"""``Authorization: Bearer <access token>`` for mini-program customers; staff keep session auth."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.models import Customer

from . import tokens
from .errors import TokenRejected


@dataclass(eq=False)
class CustomerUser:
    """What ``request.user`` is for a customer: never staff, carries the Customer."""

    customer: Customer
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_anonymous: bool = False

    @property
    def pk(self) -> int:
        return self.customer.pk

    id = pk

    def __str__(self) -> str:
        return f"customer {self.customer}"


USE_BEARER_OR_BASIC = gettext_lazy("Use Authorization: Bearer (customers) or Basic (staff).")


def _refuse_unusable_authorization(header: list[bytes]) -> None:
    """An Authorization header we cannot use is a 401, never ignored (a staff session riding along
    would otherwise answer) nor a database error (PostgreSQL takes no NUL in a Basic user name)."""
    if header[0].lower() != b"basic":
        raise exceptions.AuthenticationFailed(USE_BEARER_OR_BASIC)
    try:
        credentials = base64.b64decode(header[1], validate=True) if len(header) == 2 else b""
    except binascii.Error:
        return  # BasicAuthentication answers it 401
    if b"\x00" in credentials:
        raise exceptions.AuthenticationFailed(gettext("Invalid username/password."))


class CustomerTokenAuthentication(authentication.BaseAuthentication):
    """Customers' Bearer tokens.  The first authenticator, so it also refuses an unusable header."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            if "HTTP_AUTHORIZATION" in request.META:  # sent, but empty: no scheme we could use
                raise exceptions.AuthenticationFailed(USE_BEARER_OR_BASIC)
            return None
        if header[0].lower() != self.keyword.lower().encode():
            _refuse_unusable_authorization(header)
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(gettext("Authorization header must be 'Bearer <token>'."))
        try:
            claims = tokens.decode(header[1].decode("ascii", "replace"), "access")
        except TokenRejected as exc:  # DRF's authentication flow answers 401 + WWW-Authenticate for it
            raise exceptions.AuthenticationFailed(str(exc.message), code=exc.code) from exc
        customer = Customer.objects.filter(pk=int(claims["sub"])).first()
        if customer is None:
            raise exceptions.AuthenticationFailed(gettext("The customer of this token no longer exists."))
        return CustomerUser(customer), claims

    def authenticate_header(self, request) -> str | None:
        """401 + WWW-Authenticate for a bad or expired Bearer token (the client should refresh), and
        for no credentials where only customers are served; the staff API keeps 403 for anonymous."""
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == self.keyword.lower().encode():
            return self.keyword
        if "HTTP_AUTHORIZATION" in request.META:  # sent (empty too) and refused: 401, with the scheme tried
            return 'Basic realm="api"' if header and header[0].lower() == b"basic" else self.keyword
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is not None and all(isinstance(p, IsCustomer) for p in view.get_permissions()):
            return self.keyword
        return None


class IsCustomer(permissions.BasePermission):
    authenticated_by = (CustomerTokenAuthentication,)  # what the schema offers (smart_container.schema)
    message = gettext_lazy("Log in with WeChat first (Authorization: Bearer <access token>).")

    def has_permission(self, request, view) -> bool:
        """Without a customer token the answer is 401 (log in with WeChat), even for a staff session:
        the operation accepts that one credential only, and it is missing."""
        if not isinstance(request.user, CustomerUser):
            raise exceptions.NotAuthenticated(self.message)
        return True


class IsCustomerOrStaff(permissions.BasePermission):
    authenticated_by = (
        CustomerTokenAuthentication,
        authentication.SessionAuthentication,
        authentication.BasicAuthentication,
    )
    message = gettext_lazy("Log in with WeChat (customers) or as staff.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, CustomerUser) or bool(request.user and request.user.is_staff)


def customer_of(request) -> Customer | None:
    return request.user.customer if isinstance(request.user, CustomerUser) else None


class CustomerTokenScheme(OpenApiAuthenticationExtension):
    target_class = CustomerTokenAuthentication
    name = "customerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
