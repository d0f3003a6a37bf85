"""The application's errors: what a business rule refuses, said once for every edge.

Services raise these (never DRF's exceptions): each has a ``code`` for programs, a
``message`` for people and the HTTP ``status`` the API answers with.  The API's exception
handler (``smart_container.api``) turns them into the one JSON error shape; the back office
shows ``messages`` on the page; a task or command can log them.  An app with errors of its
own subclasses one of these in its ``errors`` module and sets ``code`` (and the default
``message``, marked with ``gettext_lazy`` so it speaks the language of the request it is shown
in; a message given when raising is translated there with ``gettext``)::

    class OutOfStock(Conflict):
        code = "out_of_stock"

    raise OutOfStock(fields={"lines": [_("%(sku)s: only %(count)d left.") % {"sku": "SC0001", "count": 2}]})
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext


class DomainError(Exception):
    """A rule of ours said no.  ``fields`` names the inputs at fault, each with its messages."""

    status: int = 400
    code: str = "invalid"
    message: str | Promise = gettext_lazy("The request was refused.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ) -> None:
        self.fields: dict[str, list[str]] = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        if code is not None:
            self.code = code
        if message is None:
            summary = "; ".join(f"{name}: {m}" if name else m for name, msgs in self.fields.items() for m in msgs)
            message = summary or type(self).message
        self.message = message
        super().__init__(message)

    @property
    def messages(self) -> list[str]:
        """The messages for a person, without the field names (a form or page says where)."""
        return [m for msgs in self.fields.values() for m in msgs] or [str(self.message)]

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the API should send with this error."""
        return {}


class InvalidInput(DomainError):
    """The input breaks a rule (400)."""

    status, code, message = 400, "invalid", gettext_lazy("Invalid input.")


class NotFound(DomainError):
    """What the request names does not exist, or is not the caller's (404)."""

    status, code, message = 404, "not_found", gettext_lazy("Not found.")


class Conflict(DomainError):
    """The request clashes with the current state: already paid, already ordered, out of stock (409)."""

    status, code, message = 409, "conflict", gettext_lazy("The request conflicts with the current state.")


class TooLarge(DomainError):
    """The upload is larger than we accept (413)."""

    status, code, message = 413, "too_large", gettext_lazy("The upload is too large.")


class RateLimited(DomainError):
    """Someone (us or a provider) is limiting the rate; try again after ``retry_after`` seconds (429)."""

    status, code, message = 429, "throttled", gettext_lazy("Request was throttled.")

    def __init__(self, message: str | Promise | None = None, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = None if retry_after is None else math.ceil(retry_after)
        if message is None and self.retry_after is not None:
            message = ngettext(
                "%(message)s Expected available in %(seconds)d second.",
                "%(message)s Expected available in %(seconds)d seconds.",
                self.retry_after,
            ) % {"message": type(self).message, "seconds": self.retry_after}
        super().__init__(message, **kwargs)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class ProviderError(DomainError):
    """A provider we depend on (WeChat) refused us in a way the customer cannot fix (502)."""

    status, code, message = 502, "provider_error", gettext_lazy("A service we depend on refused the request.")


class Unavailable(DomainError):
    """A part we need is down or busy; try again in a moment (503)."""

    status, code, message = 503, "unavailable", gettext_lazy("The service is unavailable; try again in a moment.")


class DependencyUnavailable(Unavailable):
    """The database or Redis is down or frozen (its timeout fired): 503 at once, retry shortly."""

    code = "service_unavailable"
    retry_after = 5

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
