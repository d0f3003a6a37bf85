"""API errors across the apps keep their ``code`` in every language while their ``message`` (and
each field's message) follows Accept-Language: Chinese by default and for zh-CN, English for en.

Each case sends the same request once per language, to the real views, services and WeChat fake.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from checkout import lifecycle, services
from checkout.models import Recognition
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/wechat/login"
ORDERS = "/api/v1/orders"
HAN = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = {"zh": {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, "en": {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}}


def in_both(send) -> dict[str, dict]:
    """``send(headers)`` in Chinese, in English and with no Accept-Language; the three errors.

    Asserts what every case shares: one status and code in all three, the field names and codes
    equal, the Chinese messages in Chinese, the English ones without a Chinese character, and no
    header meaning the product's default, Chinese.
    """
    answers = {lang: send(headers) for lang, headers in (*LANGUAGES.items(), ("default", {}))}
    errors = {lang: response.json()["error"] for lang, response in answers.items()}
    assert (
        len({(r.status_code, e["status"], e["code"]) for r, e in zip(answers.values(), errors.values(), strict=True)})
        == 1
    )
    shapes = {lang: [(f["field"], f["code"]) for f in e["fields"]] for lang, e in errors.items()}
    assert shapes["zh"] == shapes["en"] == shapes["default"]
    zh, en = errors["zh"], errors["en"]
    assert HAN.search(zh["message"]), zh
    assert not HAN.search(en["message"]), en
    for zh_field, en_field in zip(zh["fields"], en["fields"], strict=True):
        assert HAN.search(zh_field["message"]) and not HAN.search(en_field["message"]), (zh_field, en_field)
    assert errors["default"] == zh
    for response in answers.values():
        assert "Accept-Language" in response.get("Vary", "")  # caches keep the languages apart
    return {"zh": zh, "en": en, "response": answers["en"]}


@pytest.fixture
def zh_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def test_a_domain_validation_error_names_its_field_in_both_languages(zh_default, api, store, make_product):
    errors = in_both(lambda h: api.post(ORDERS, {"lines": [{"sku": "NOPE", "quantity": 1}]}, format="json", **h))
    assert errors["en"]["code"] == "invalid" and errors["en"]["fields"][0]["field"] == "lines"
    assert errors["en"]["message"] == "lines: Unknown or inactive SKU: NOPE."
    assert errors["zh"]["message"] == "lines: 未知或已下架的 SKU：NOPE。"


def test_drf_and_our_field_validation_speak_chinese(zh_default, api, store, make_product):
    make_product(sku="TEA", stock=5)
    body = {"lines": [{"sku": "TEA", "quantity": "2"}, {"sku": "TEA", "quantity": 0}]}
    errors = in_both(lambda h: api.post(ORDERS, body, format="json", **h))
    fields = {f["field"]: f for f in errors["zh"]["fields"]}
    assert fields["lines.0.quantity"]["message"] == "须为整数（JSON 整数），而不是字符串"  # StrictIntegerField
    assert "1" in fields["lines.1.quantity"]["message"]  # DRF's own min_value message, in DRF's Chinese
    english = {f["field"]: f["message"] for f in errors["en"]["fields"]}
    assert english["lines.0.quantity"] == "Must be a whole number (a JSON integer), not a string"
    assert english["lines.1.quantity"] == "Ensure this value is greater than or equal to 1."


def test_out_of_stock_is_a_conflict_in_both_languages(zh_default, api, store, make_product):
    make_product(sku="TEA", stock=1)
    errors = in_both(lambda h: api.post(ORDERS, {"lines": [{"sku": "TEA", "quantity": 2}]}, format="json", **h))
    assert errors["response"].status_code == 409 and errors["en"]["code"] == "out_of_stock"
    assert errors["zh"]["fields"][0]["message"] == "TEA：仅剩 1 件。"
    assert errors["en"]["fields"][0]["message"] == "TEA: only 1 left."


def test_not_found_from_the_router_and_from_drf(zh_default, api):
    errors = in_both(lambda h: api.get("/api/v1/no-such-thing", **h))
    assert errors["en"]["code"] == "not_found" and errors["response"].status_code == 404
    assert errors["zh"]["message"] == "没有这个资源：/api/v1/no-such-thing"
    missing = in_both(lambda h: api.get(f"{ORDERS}/{uuid.uuid4()}", **h))
    assert missing["en"]["code"] == "not_found" and missing["response"].status_code == 404


def test_a_photo_over_the_upload_limit_is_413_in_both_languages(zh_default, settings, api, store):
    settings.CHECKOUT_MAX_UPLOAD_BYTES = 100
    photo = image_bytes("PNG", (64, 64))

    def send(headers):
        return api.post("/api/v1/checkout/recognize", {"image": _named(photo)}, format="multipart", **headers)

    errors = in_both(send)
    assert errors["response"].status_code == 413 and errors["en"]["code"] == "too_large"
    assert errors["en"]["fields"] == [
        {"field": "image", "code": "too_large", "message": f"The photo is {len(photo)} bytes; at most 100."}
    ]
    assert errors["zh"]["fields"][0]["message"] == f"照片大小为 {len(photo)} 字节，最多 100 字节。"


def _named(data: bytes):
    import io

    upload = io.BytesIO(data)
    upload.name = "basket.png"
    return upload


def test_wechat_limiting_logins_is_429_with_the_wait_in_both_languages(zh_default, wechat):
    errors = in_both(lambda h: APIClient().post(LOGIN, {"code": "rate-limited"}, format="json", **h))
    assert errors["response"].status_code == 429 and errors["response"]["Retry-After"] == "60"
    assert errors["en"]["code"] == "wechat_rate_limited"
    assert errors["en"]["message"].endswith("Expected available in 60 seconds.")
    assert "60 秒" in errors["zh"]["message"]


def test_our_own_throttle_is_429_in_both_languages(zh_default, wechat, settings):
    client = APIClient()
    for _ in range(20):  # the configured 20 logins a minute per address
        client.post(LOGIN, {"code": "invalid-code"}, format="json")
    errors = in_both(lambda h: client.post(LOGIN, {"code": "invalid-code"}, format="json", **h))
    assert errors["response"].status_code == 429 and errors["en"]["code"] == "throttled"


def test_wechat_login_code_rejected_names_the_field(zh_default, wechat):
    errors = in_both(lambda h: APIClient().post(LOGIN, {"code": "invalid-code"}, format="json", **h))
    assert errors["en"]["fields"][0]["field"] == "code"
    assert errors["zh"]["fields"][0]["message"].startswith("微信拒绝了登录码")


@pytest.mark.parametrize(
    ("app_id", "code", "error_code"), [("", "alice-1", "wechat_not_configured"), (None, "system-busy", "wechat_busy")]
)
def test_unavailable_is_503_in_both_languages(zh_default, wechat, settings, app_id, code, error_code):
    if app_id is not None:
        settings.WECHAT_APP_ID = app_id
    errors = in_both(lambda h: APIClient().post(LOGIN, {"code": code}, format="json", **h))
    assert errors["response"].status_code == 503 and errors["en"]["code"] == error_code


def test_the_database_down_is_503_in_both_languages(zh_default, staff_client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    def send(headers):
        with connection.execute_wrapper(refuse):
            return staff_client.get("/api/v1/products", **headers)

    errors = in_both(send)
    assert errors["en"]["code"] == "service_unavailable"
    assert errors["zh"]["message"] == "数据库暂时不可用，请几秒后再试。"


def test_a_failed_recognition_tells_the_customer_in_their_language(zh_default, api, customer, store):
    recognition = services.create_recognition(customer=customer, store=store, data=image_bytes())
    lifecycle.fail(recognition, Recognition.Failure.TIMEOUT)
    recognition.refresh_from_db()
    assert recognition.error == "Recognition took too long; please take the photo again."  # the record: English
    url = f"/api/v1/checkout/recognitions/{recognition.pk}"
    assert api.get(url, **LANGUAGES["zh"]).json()["error"] == "识别时间过长，请重新拍照。"
    assert api.get(url, **LANGUAGES["en"]).json()["error"] == "Recognition took too long; please take the photo again."
