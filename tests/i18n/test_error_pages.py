"""Outside the API, a wrong address or a failure is a page in the visitor's language (Chinese by
default) with the ways on to the checkout and the back office, not Django's bare English page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation

from smart_container import api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept", "lang", "heading"), [("zh-CN,zh", "zh-hans", "页面不存在"), ("en-US,en", "en", "Page not found")]
)
def test_a_wrong_address_is_a_page_in_the_visitors_language(client, chinese, accept, lang, heading):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{lang}">' in html and f"<h1>{heading}</h1>" in html
    assert 'href="/checkout/"' in html and 'href="/backoffice/"' in html


def test_the_api_keeps_its_json_404(client, chinese):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("handler", "status", "zh", "en"),
    [
        (lambda request: api.handler400(request), 400, "请求有误", "Bad request"),
        (lambda request: api.handler403(request, PermissionDenied()), 403, "无权访问", "Not allowed"),
        (api.handler500, 500, "出错了", "Something went wrong"),
    ],
    ids=["400", "403", "500"],
)
def test_the_other_error_pages_speak_both_languages(chinese, handler, status, zh, en):
    for language, heading in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            response = handler(RequestFactory().get("/backoffice/products/"))
        html = response.content.decode()
        assert response.status_code == status
        assert f'<html lang="{language}">' in html and f"<h1>{heading}</h1>" in html, html[:400]
