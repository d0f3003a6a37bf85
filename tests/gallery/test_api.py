"""``/api/v1/products/{id}/images`` and ``/api/v1/gallery/status``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import ProductImage
from gallery import live
from gallery.models import GalleryChange

from .conftest import photo

pytestmark = pytest.mark.django_db


def images_url(product) -> str:
    return f"/api/v1/products/{product.pk}/images"


def files(*items: tuple[str, bytes]) -> dict:
    return {"images": [SimpleUploadedFile(name, data) for name, data in items]}


def test_upload_several_photos_then_list_them_indexed(engine_settings, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        response = staff_client.post(
            images_url(cola),
            files(("a.png", photo(11)), ("b.jpg", photo(12, "JPEG"))),
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [row["gallery_status"] for row in body] == ["pending", "pending"]  # embedded after the commit
    assert all(row["created"] for row in body)

    listing = staff_client.get(images_url(cola)).json()
    assert listing["count"] == 2
    assert {row["gallery_status"] for row in listing["results"]} == {"indexed"}
    assert all(row["model_version"].startswith("rec_pir@") for row in listing["results"])
    assert len(live.current_gallery()) == 2


def test_upload_logs_the_uploader_on_the_add(engine_settings, staff, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        staff_client.post(images_url(cola), files(("a.png", photo(11))), format="multipart")
    change = GalleryChange.objects.get()
    assert (change.op, change.actor, change.label) == ("add", staff, "COLA")


def test_same_photo_twice_is_stored_once(engine_settings, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        staff_client.post(images_url(cola), files(("a.png", photo(11))), format="multipart")
    with committed():
        again = staff_client.post(images_url(cola), files(("a2.png", photo(11))), format="multipart")
    assert again.status_code == 201
    assert again.json()[0]["created"] is False and again.json()[0]["gallery_status"] == "indexed"
    assert ProductImage.objects.count() == 1


def test_one_bad_file_rejects_the_whole_upload(engine_settings, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        response = staff_client.post(
            images_url(cola),
            files(("a.png", photo(11)), ("notes.jpg", b"not a photo at all" * 20)),
            format="multipart",
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"][0]["field"] == "images.1"
    assert "notes.jpg" in error["message"] and "not an image" in error["message"]
    assert ProductImage.objects.count() == 0 and GalleryChange.objects.count() == 0


def test_upload_without_files_or_to_unknown_product(engine_settings, staff_client, make_product):
    cola = make_product("COLA")
    empty = staff_client.post(images_url(cola), {}, format="multipart")
    assert empty.status_code == 400
    assert empty.json()["error"]["fields"][0]["field"] == "images"
    missing = staff_client.post("/api/v1/products/999999/images", files(("a.png", photo(11))), format="multipart")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_customers_cannot_touch_photos(engine_settings, make_product, db):
    cola = make_product("COLA")
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("shopper", password="pw"))
    response = client.post(images_url(cola), files(("a.png", photo(11))), format="multipart")
    assert response.status_code == 403
    assert client.get("/api/v1/gallery/status").status_code == 403


def test_delete_photo_removes_it_and_logs_who(engine_settings, staff, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        staff_client.post(images_url(cola), files(("a.png", photo(11))), format="multipart")
    image = ProductImage.objects.get()
    assert len(live.current_gallery()) == 1
    stored = image.image.path
    with committed():
        response = staff_client.delete(f"/api/v1/products/{cola.pk}/images/{image.pk}")
    assert response.status_code == 204
    assert len(live.current_gallery()) == 0
    change = GalleryChange.objects.last()
    assert (change.op, change.actor, change.label) == ("remove", staff, "COLA")
    assert not Path(stored).exists()  # the file went with the commit
    other = make_product("TEA")
    assert staff_client.delete(f"/api/v1/products/{other.pk}/images/{image.pk}").status_code == 404


def test_status_counts_failures_and_workers(engine_settings, staff_client, make_product, committed):
    cola = make_product("COLA")
    with committed():
        staff_client.post(images_url(cola), files(("a.png", photo(11))), format="multipart")
    live.current_gallery()  # this process serves the gallery and reports it
    status = staff_client.get("/api/v1/gallery/status").json()
    assert (status["indexed"], status["pending"], status["failed"], status["stale"]) == (1, 0, 0, 0)
    assert status["version"] == 1 and status["generation"] == 1
    assert status["model_version"].startswith("rec_pir@")
    (worker,) = status["workers"]
    assert (worker["version"], worker["entries"], worker["behind"], worker["alive"]) == (1, 1, 0, True)
