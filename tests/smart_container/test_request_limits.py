"""Request limits found by the fuzzer: every parser is bounded in size (413) and JSON in depth
(400), and the throttles key clients by an address they cannot forge."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from smart_container.parsers import json_depth_exceeds
from smart_container.throttling import client_ip
from tests.conftest import image_bytes

LOGIN = "/api/v1/auth/wechat/login"
RECOGNIZE = "/api/v1/checkout/recognize"
pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    return error


def test_deeply_nested_json_is_a_400_not_a_recursion_error(caplog):
    body = "[" * 1000 + "]" * 1000
    with caplog.at_level(logging.ERROR):
        response = APIClient().generic("POST", LOGIN, body, content_type="application/json")
    error = assert_error(response, 400, "parse_error")
    assert "nested deeper than 32" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback per request


def test_json_deeper_than_the_limit_but_parseable_is_refused(staff_client):
    body = '{"name": ' + "[" * 40 + "]" * 40 + "}"
    assert_error(
        staff_client.generic("POST", "/api/v1/categories", body, content_type="application/json"), 400, "parse_error"
    )


def test_depth_check_counts_containers_only():
    assert not json_depth_exceeds({"lines": [{"sku": "A", "quantity": 1}]}, 3)
    assert json_depth_exceeds({"lines": [{"sku": ["A"]}]}, 3)
    assert not json_depth_exceeds([1, "x", None] * 1000, 1)


def test_a_huge_announced_json_body_is_refused_before_it_is_read():
    """A 100 MiB anonymous login body: 413 from the Content-Length, the body never parsed."""
    response = APIClient().generic(
        "POST", LOGIN, '{"code": "x"}', content_type="application/json", CONTENT_LENGTH=str(100 * 1024 * 1024)
    )
    error = assert_error(response, 413, "too_large")
    assert "104857600 bytes" in error["message"]


def test_json_body_over_the_limit_is_413(settings):
    settings.API_MAX_BODY_BYTES = 64
    body = '{"code": "' + "x" * 100 + '"}'
    assert_error(APIClient().generic("POST", LOGIN, body, content_type="application/json"), 413, "too_large")
    assert_error(APIClient().post(LOGIN, {"code": ""}, format="json"), 400, "invalid")  # under it: parsed, validated


def test_multipart_upload_over_the_limit_is_413(settings, api):
    settings.API_MAX_UPLOAD_BYTES = 10_000
    response = api.post(RECOGNIZE, {"image": ("big.png", image_bytes("PNG", (400, 400)) * 20)}, format="multipart")
    assert_error(response, 413, "too_large")


def test_urlencoded_form_over_the_limit_is_413(settings, api):
    settings.API_MAX_BODY_BYTES = 100
    body = "store=" + "x" * 500
    assert_error(
        api.generic("POST", RECOGNIZE, body, content_type="application/x-www-form-urlencoded"), 413, "too_large"
    )


def test_too_many_multipart_fields_is_400_not_500(settings, api):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{n}": "x" for n in range(10)}
    assert_error(api.post(RECOGNIZE, fields, format="multipart"), 400, "parse_error")


# --- the client address behind proxies
def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_when_no_proxy_is_trusted(settings):
    settings.API_TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_forwarded_for_is_read_back_to_the_first_untrusted_hop(settings):
    settings.API_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    # The client forged "1.2.3.4"; its real address was appended by our proxy 10.0.0.5.
    assert client_ip(_request("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.5")) == "198.51.100.7"
    assert client_ip(_request("127.0.0.1", "10.0.0.5")) == "10.0.0.5"  # every hop ours: the furthest one
    assert client_ip(_request("127.0.0.1", "garbage, 10.0.0.5")) == "10.0.0.5"
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"  # not from a proxy of ours


def test_forged_forwarded_for_does_not_reset_the_login_throttle(wechat):
    statuses = [
        APIClient()
        .post(LOGIN, {"code": "invalid-code"}, format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .status_code
        for n in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_clients_behind_a_trusted_proxy_are_throttled_separately(wechat, settings):
    settings.API_TRUSTED_PROXIES = ["127.0.0.1"]

    def login_from(address: str) -> int:
        client = APIClient(REMOTE_ADDR="127.0.0.1")
        return client.post(LOGIN, {"code": "invalid-code"}, format="json", HTTP_X_FORWARDED_FOR=address).status_code

    assert [login_from("198.51.100.1") for _ in range(21)][-1] == 429
    assert login_from("198.51.100.2") == 400  # another client behind the same proxy
    assert login_from("203.0.113.50, 198.51.100.1") == 429  # a forged hop in front changes nothing
