"""Chinese first, English on request: the default, the browser's Accept-Language, the language
switch (a cookie), and the API, whose error codes stay the same while the message follows the
language asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def settings_value(name: str, **env: str) -> str:
    """A setting as a fresh process with this environment reads it."""
    clean = {k: v for k, v in os.environ.items() if k != "LANGUAGE_CODE"} | env
    code = f"from django.conf import settings; import django; django.setup(); print(settings.{name})"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "smart_container.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_simplified_chinese_is_the_default_and_the_environment_can_change_it():
    assert settings_value("LANGUAGE_CODE") == "zh-hans"
    assert settings_value("LANGUAGE_CODE", LANGUAGE_CODE="en") == "en"


@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [
        (None, "zh-hans", "自助结算"),
        ("zh-CN,zh;q=0.9", "zh-hans", "自助结算"),
        ("en-US,en;q=0.9", "en", "Self checkout"),
        ("fr-FR,fr;q=0.9", "zh-hans", "自助结算"),  # a language we do not have: the default
    ],
)
def test_pages_follow_the_browsers_language(client, chinese, accept, lang, title):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    html = client.get("/checkout/", **headers).content.decode()
    assert f'<html lang="{lang}">' in html and f"<title>{title}" in html


def test_the_language_switch_is_on_every_page_and_wins_over_the_browser(client, chinese, staff):
    for path in ("/", "/checkout/", reverse("backoffice:login")):
        assert 'action="/i18n/setlang/"' in client.get(path).content.decode(), path
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/checkout/"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert switched.status_code == 302 and switched["Location"] == "/checkout/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/checkout/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html and "Log in with WeChat" in html
    client.force_login(staff["manager"])
    assert "<h1>Dashboard</h1>" in client.get(reverse("backoffice:dashboard")).content.decode()


def test_the_back_office_speaks_chinese(client, chinese, staff):
    client.force_login(staff["manager"])
    html = client.get(reverse("backoffice:dashboard")).content.decode()
    assert "<h1>概览</h1>" in html and "退出登录" in html and ">商品</a>" in html
    login = client.get(reverse("backoffice:orders")).content.decode()
    assert "全部状态" in login and "导出 CSV" in login


def test_the_checkout_script_gets_its_text_from_the_catalogue(client, chinese):
    pick = json.dumps("选择商品")[1:-1]  # as the catalogue writes it
    assert pick in client.get("/jsi18n/").content.decode()
    assert pick not in client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    ("accept", "message"),
    [(None, "该字段是必填项。"), ("en", "This field is required."), ("zh-CN", "该字段是必填项。")],
)
def test_api_errors_keep_their_code_and_speak_the_language_asked_for(client, chinese, accept, message):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.post("/api/v1/auth/wechat/login", {}, content_type="application/json", **headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"][0]["code"] == "required"
    assert error["fields"][0]["message"] == message and error["message"] == f"code: {message}"


def test_order_states_are_shown_in_chinese():
    from orders.models import Order

    with translation.override("zh-hans"):
        assert [str(label) for _value, label in Order.Status.choices][:2] == ["待支付", "已支付"]
