"""What the back office says when a service refuses, in the merchant's language: the page's
message is the service's own sentence, translated (Chinese by default, English on request)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import Discrepancy
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en"}


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_photo_in_a_format_we_do_not_take_is_refused_in_chinese_or_english(client, chinese, shop, staff):
    client.force_login(staff["manager"])
    url = reverse("backoffice:product-photo-add", args=[shop["products"]["COLA"].pk])

    def upload(**headers):
        from django.core.files.uploadedfile import SimpleUploadedFile

        photo = SimpleUploadedFile("cola.gif", image_bytes("GIF", (64, 64)), content_type="image/gif")
        return client.post(url, {"photo": photo}, follow=True, **headers)

    assert page_messages(upload()) == ["照片未添加：cola.gif：不接受 GIF 格式的图片（应为 JPEG、PNG、WebP 或 BMP）"]
    assert page_messages(upload(**ENGLISH)) == [
        "Photo not added: cola.gif: image format GIF is not accepted (JPEG, PNG, WebP or BMP expected)"
    ]
    assert not shop["products"]["COLA"].images.exists()


def test_resolving_a_resolved_discrepancy_is_refused_in_chinese_or_english(client, chinese, shop, staff):
    client.force_login(staff["owner"])
    closed = Discrepancy.objects.get(run=shop["reconciliation"], is_open=False)
    url = reverse("backoffice:discrepancy-resolve", args=[closed.pk])
    assert page_messages(client.post(url, {"note": "again"}, follow=True)) == ["这项差异已经处理过了。"]
    english = client.post(url, {"note": "again"}, follow=True, **ENGLISH)
    assert page_messages(english) == ["This discrepancy is already resolved."]
    closed.refresh_from_db()
    assert closed.staff_note == ""  # nothing written over the first resolution
