"""Request parsers with limits: no body is read past its size limit, no JSON nests without bound.

DRF reads the request stream itself, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies to
a JSON body.  Every API parser here refuses, before reading, a body whose ``Content-Length`` is
over its limit (413, ``too_large``) and never reads more than that limit:

- JSON and urlencoded forms: ``API_MAX_BODY_BYTES``; JSON nested deeper than ``API_MAX_JSON_DEPTH``
  is a 400 (``parse_error``), never a RecursionError;
- multipart uploads: ``API_MAX_UPLOAD_BYTES`` for the whole body, and Django's own limits on the
  fields in it (``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``,
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the non-file part) answer 400/413 instead of a 500.
Form fields are flat by construction, so depth only concerns JSON.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, parsers, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = gettext_lazy("The request body is too large.")


def content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def refuse_large_body(request, limit: int) -> None:
    """413 before anything is read, when the body announces more than ``limit`` bytes."""
    length = content_length(request)
    if length > limit:
        raise PayloadTooLarge(
            gettext("The request body is %(size)d bytes; this endpoint accepts at most %(limit)d.")
            % {"size": length, "limit": limit}
        )


def read_limited(stream, limit: int) -> bytes:
    """At most ``limit`` bytes of ``stream``; 413 if there is more."""
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise PayloadTooLarge(
            gettext("The request body is over %(limit)d bytes, the most this endpoint accepts.") % {"limit": limit}
        )
    return data


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion to blow)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def too_deep() -> str:
    return gettext("JSON nested deeper than %(depth)d levels.") % {"depth": settings.API_MAX_JSON_DEPTH}


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in size and depth; NaN and Infinity are refused as DRF does."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        refuse_large_body(parser_context["request"], limit)
        raw = read_limited(stream, limit)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            value = json.loads(raw.decode(encoding), parse_constant=self._refuse_constant)
        except RecursionError as exc:
            raise exceptions.ParseError(too_deep()) from exc
        except ValueError as exc:
            raise exceptions.ParseError(gettext("JSON parse error - %(reason)s") % {"reason": exc}) from exc
        if json_depth_exceeds(value, settings.API_MAX_JSON_DEPTH):
            raise exceptions.ParseError(too_deep())
        return value

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        refuse_large_body(parser_context["request"], settings.API_MAX_BODY_BYTES)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        refuse_large_body(parser_context["request"], settings.API_MAX_UPLOAD_BYTES)
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as exc:
            raise PayloadTooLarge(
                gettext("The form fields are over %(limit)d bytes.") % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
            ) from exc
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise exceptions.ParseError(str(exc)) from exc
