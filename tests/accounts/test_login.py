"""WeChat login against the fake code2session server, our tokens, and the login throttle."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Customer

LOGIN = "/api/v1/auth/wechat/login"
pytestmark = pytest.mark.django_db


def login(code: str):
    return APIClient().post(LOGIN, {"code": code}, format="json")


def test_login_creates_customer_and_tokens_work(wechat):
    response = login("alice-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type", "expires_in", "customer"}
    assert "session_key" not in response.content.decode()
    customer = Customer.objects.get(pk=body["customer"])
    assert customer.app_id == wechat.app_id and customer.openid.startswith("o") and customer.last_login_at

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert client.get("/api/v1/orders").status_code == 200

    again = login("alice-2").json()  # the same WeChat user logging in again
    assert again["customer"] == customer.pk
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "status", "error_code"),
    [
        ("invalid-code", 400, "invalid"),
        ("used-code", 400, "invalid"),
        ("rate-limited", 429, "wechat_rate_limited"),
        ("system-busy", 503, "wechat_busy"),
    ],
)
def test_wechat_errors_map_to_clear_answers(wechat, code, status, error_code):
    response = login(code)
    assert response.status_code == status
    assert response.json()["error"]["code"] == error_code
    assert not Customer.objects.exists()


def test_a_code_works_once(wechat):
    assert login("carol-1").status_code == 200
    assert login("carol-1").status_code == 400


def test_wrong_app_secret_is_a_server_side_problem(wechat, settings):
    settings.WECHAT_APP_SECRET = "not-the-secret"
    response = login("dave-1")
    assert response.status_code == 502 and response.json()["error"]["code"] == "wechat_error"


def test_wechat_unreachable_is_503(wechat, settings):
    settings.WECHAT_API_BASE_URL = "http://127.0.0.1:9"
    assert login("erin-1").status_code == 503


@pytest.mark.parametrize("missing", ["WECHAT_APP_ID", "WECHAT_APP_SECRET"])
def test_login_without_credentials_says_what_to_set(wechat, settings, missing):
    setattr(settings, missing, "")
    response = login("hank-1")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "wechat_not_configured"
    assert error["message"].startswith("WeChat login is not configured: set WECHAT_APP_ID")
    assert not [path for _, path in wechat.requests if path.startswith("/sns/")]  # WeChat never asked


def test_missing_code_is_400(wechat):
    response = APIClient().post(LOGIN, {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "code"


def test_refresh_token_rotates_once(wechat):
    tokens = login("frank-1").json()
    client = APIClient()
    first = client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200 and first.json()["customer"] == tokens["customer"]
    replay = client.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401
    wrong_kind = client.post("/api/v1/auth/refresh", {"refresh": tokens["access"]}, format="json")
    assert wrong_kind.status_code == 401


def test_bad_or_expired_access_token_is_401(wechat, settings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/orders").status_code == 401
    settings.AUTH_ACCESS_TOKEN_SECONDS = -10
    expired = login("gina-1").json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired}")
    response = client.get("/api/v1/orders")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_login_is_throttled(wechat):
    statuses = [login("invalid-code").status_code for _ in range(21)]
    assert statuses[:20] == [400] * 20  # the configured 20/min, counted per client address
    assert statuses[20] == 429
    assert len([path for _, path in wechat.requests if path.startswith("/sns/")]) == 20  # WeChat not asked again
