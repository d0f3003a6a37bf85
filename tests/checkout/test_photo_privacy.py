"""Checkout photos are private: their customer, staff, or the signed link the API hands out; never /media/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from rest_framework.test import APIClient

from checkout import services
from tests.conftest import image_bytes
from tests.wechat_fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def recognition(customer, store):
    return services.create_recognition(customer=customer, store=store, data=image_bytes("PNG", (80, 60)))


def photo_url(recognition) -> str:
    return reverse("recognition-photo", args=[recognition.pk])


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_its_customer_gets_the_jpeg(api, recognition):
    response = api.get(photo_url(recognition))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert body_of(response) == recognition.photo.open("rb").read()
    assert response["Cache-Control"].startswith("private")


def test_another_customer_gets_404(other_customer, recognition):
    response = client_for(other_customer).get(photo_url(recognition))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_gets_401(anon_client, recognition):
    response = anon_client.get(photo_url(recognition))
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


def test_staff_get_it(staff_client, recognition):
    assert staff_client.get(photo_url(recognition)).status_code == 200


def test_the_photo_is_not_under_the_public_media_root(anon_client, recognition):
    assert not (Path(django_settings.MEDIA_ROOT) / recognition.photo.name).exists()
    assert Path(recognition.photo.path).is_file()
    assert anon_client.get(f"{django_settings.MEDIA_URL}{recognition.photo.name}").status_code == 404


def test_the_signed_link_in_the_answer_opens_it_until_it_expires(api, recognition, settings):
    link = api.get(f"/api/v1/checkout/recognitions/{recognition.pk}").json()["photo"]
    assert link.startswith("http://testserver/api/v1/checkout/recognitions/") and "signature=" in link
    browser = APIClient()  # an <img> sends no Bearer token
    assert browser.get(link).status_code == 200
    settings.CHECKOUT_PHOTO_LINK_SECONDS = -1
    assert browser.get(link).status_code == 401


def test_a_link_signed_for_one_recognition_opens_no_other(api, customer, store, recognition):
    other = services.create_recognition(customer=customer, store=store, data=image_bytes("PNG", (40, 40)))
    link = api.get(f"/api/v1/checkout/recognitions/{recognition.pk}").json()["photo"]
    forged = link.replace(str(recognition.pk), str(other.pk))
    assert APIClient().get(forged).status_code == 401
    assert APIClient().get(photo_url(recognition) + "?signature=garbage").status_code == 401
