"""Decompression bombs and broken photos are 400s naming the problem, at every upload: checkout,
staff photo uploads, and the checks under them.  Pillow itself refuses headers over ~179 MP
with its own exception before any size is known; below that our limit does."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.images import ImageRejected, inspect_image
from tests.faults.bombs import jpeg_claiming, png_claiming

pytestmark = pytest.mark.django_db

BOMBS = {
    "jpeg-30000x30000": jpeg_claiming(30000, 30000),  # 900 MP: Pillow's DecompressionBombError at open
    "png-30000x30000": png_claiming(30000, 30000),
    "jpeg-13400x13400": jpeg_claiming(13400, 13400),  # 179.6 MP: just over Pillow's error threshold
    "png-13000x13000": png_claiming(13000, 13000),  # 169 MP: Pillow only warns, our limit refuses
}


@pytest.mark.parametrize("name", BOMBS)
def test_inspect_image_names_the_pixel_count(name):
    with pytest.raises(ImageRejected, match=r"more than 40000000 pixels"):
        inspect_image(BOMBS[name])


def test_a_header_that_breaks_the_decoder_is_rejected_not_raised():
    data = bytearray(png_claiming(64, 64))
    data[16:24] = b"\xff" * 8  # IHDR width/height 4294967295: the CRC no longer matches
    with pytest.raises(ImageRejected):
        inspect_image(bytes(data))


@pytest.mark.parametrize("name", BOMBS)
def test_checkout_upload_of_a_bomb_is_a_400(api, store, name):
    image = io.BytesIO(BOMBS[name])
    image.name = "basket.jpg"
    response = api.post("/api/v1/checkout/recognize", {"image": image}, format="multipart")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"][0]["field"] == "image"
    assert "pixels" in error["message"], error


@pytest.mark.parametrize("name", BOMBS)
def test_staff_photo_upload_of_a_bomb_is_a_400(staff_client, make_product, name):
    product = make_product()
    upload = SimpleUploadedFile("bomb.jpg", BOMBS[name])
    response = staff_client.post(f"/api/v1/products/{product.pk}/images", {"images": [upload]}, format="multipart")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"][0]["field"] == "images.0" and "pixels" in error["message"], error


@pytest.mark.parametrize("name", BOMBS)
def test_the_recognition_decoder_refuses_bombs_with_its_own_error(name):
    from recognition.engine.images import ImageError, decode_image

    with pytest.raises(ImageError, match=r"too many pixels"):
        decode_image(BOMBS[name])
