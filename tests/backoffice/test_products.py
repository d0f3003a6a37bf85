"""Products pages: search, low stock, price edits with history, new products and photos."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import PriceChange, Product, ProductImage
from gallery.models import GalleryChange, GalleryEmbedding
from tests.backoffice.conftest import encode, pattern

pytestmark = pytest.mark.django_db


def test_search_and_low_stock_alert(login, products, settings):
    settings.BACKOFFICE_LOW_STOCK_THRESHOLD = 3
    client = login("cashier")
    page = client.get(reverse("backoffice:products")).content.decode()
    assert "2 products at or below 3 in stock" in page  # CHIPS (3) and WATER (0)
    found = client.get(reverse("backoffice:products"), {"q": "tea"}).context["page_obj"].object_list
    assert [p.sku for p in found] == ["TEA"]
    low = client.get(reverse("backoffice:products"), {"low_stock": "on"}).context["page_obj"].object_list
    assert [p.sku for p in low] == ["CHIPS", "WATER"]
    settings.BACKOFFICE_LOW_STOCK_THRESHOLD = 0
    low = client.get(reverse("backoffice:products"), {"low_stock": "on"}).context["page_obj"].object_list
    assert [p.sku for p in low] == ["WATER"]


def test_price_edit_goes_through_catalog_services_and_keeps_history(login, products, staff):
    cola = products["COLA"]
    response = login("manager").post(
        reverse("backoffice:product-edit", args=[cola.pk]),
        {"name": "Cola 330ml", "price": "3.80", "stock": "40", "is_active": "on"},
    )
    assert response.status_code == 302
    cola.refresh_from_db()
    assert (cola.price_fen, cola.stock) == (380, 40)
    change = PriceChange.objects.filter(product=cola).first()  # newest first
    assert (change.old_price_fen, change.new_price_fen, change.changed_by, change.source) == (
        350,
        380,
        staff["manager"],
        "backoffice",
    )
    page = login("manager").get(reverse("backoffice:product", args=[cola.pk])).content.decode()
    assert "¥3.50" in page and "¥3.80" in page and "manager" in page


def test_stock_only_edit_writes_no_price_history(login, products):
    tea = products["TEA"]
    login("manager").post(
        reverse("backoffice:product-edit", args=[tea.pk]),
        {"name": "Green tea", "price": "5.00", "stock": "7", "is_active": "on"},
    )
    tea.refresh_from_db()
    assert tea.stock == 7 and PriceChange.objects.filter(product=tea).count() == 1


@pytest.mark.parametrize("price", ["3.555", "-1", "abc", ""])
def test_bad_price_changes_nothing(login, products, price):
    cola = products["COLA"]
    response = login("manager").post(
        reverse("backoffice:product-edit", args=[cola.pk]),
        {"name": "Cola", "price": price, "stock": "1", "is_active": "on"},
    )
    assert response.status_code == 400
    cola.refresh_from_db()
    assert (cola.name, cola.price_fen, cola.stock) == ("Cola 330ml", 350, 50)


def test_deactivating_a_product_is_attributed_in_the_gallery_log(login, products, staff, engine_settings):
    cola = products["COLA"]
    image = ProductImage.objects.create(product=cola, image="x.png", sha256="0" * 64)
    GalleryEmbedding.objects.filter(image=image).update(status="indexed", model_version="m")
    login("manager").post(
        reverse("backoffice:product-edit", args=[cola.pk]), {"name": "Cola", "price": "3.50", "stock": "1"}
    )
    change = GalleryChange.objects.get(op="remove")
    assert (change.image_id, change.actor, change.reason) == (image.pk, staff["manager"], "changed in the back office")


def test_create_product_with_a_photo_gets_indexed(
    login, shop, engine_settings, eager_tasks, django_capture_on_commit_callbacks
):
    client = login("manager")
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("new.png", encode(pattern(77)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:product-new"),
            {"sku": "NEW1", "name": "New snack", "price": "12.50", "stock": "10", "photo": photo},
        )
    product = Product.objects.get(sku="NEW1")
    assert response["Location"] == reverse("backoffice:product", args=[product.pk])
    assert product.price_fen == 1250 and product.price_changes.get().changed_by.username == "manager"
    embedding = GalleryEmbedding.objects.get(image__product=product)
    assert embedding.status == "indexed" and embedding.model_version
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="indexed"' in page


def test_duplicate_sku_is_refused_with_a_message(login, products):
    response = login("manager").post(
        reverse("backoffice:product-new"), {"sku": "COLA", "name": "Again", "price": "1", "stock": "1"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Product.objects.filter(sku="COLA").count() == 1


def test_bad_photo_is_reported_and_not_stored(login, products):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cola = products["COLA"]
    response = login("manager").post(
        reverse("backoffice:product-photo-add", args=[cola.pk]),
        {"photo": SimpleUploadedFile("x.jpg", b"not a photo" * 20, content_type="image/jpeg")},
        follow=True,
    )
    assert "Choose a photo" in response.content.decode()
    assert not cola.images.exists()


def test_failed_photo_shows_its_reason_and_can_be_removed(login, products, engine_settings):
    cola = products["COLA"]
    image = ProductImage.objects.create(product=cola, image="x.png", sha256="1" * 64)
    GalleryEmbedding.objects.filter(image=image).update(status="failed", failure_reason="cannot decode the photo: boom")
    client = login("manager")
    page = client.get(reverse("backoffice:product", args=[cola.pk])).content.decode()
    assert 'data-status="failed"' in page and "cannot decode the photo: boom" in page
    client.post(reverse("backoffice:product-photo-delete", args=[cola.pk, image.pk]))
    assert not ProductImage.objects.filter(pk=image.pk).exists()
    assert login("cashier").post(reverse("backoffice:product-photo-delete", args=[cola.pk, 1])).status_code == 403


def test_gallery_page_counts_photos_by_status(login, products, engine_settings):
    for n, status in enumerate(["indexed", "indexed", "pending", "failed"]):
        image = ProductImage.objects.create(product=products["COLA"], image=f"{n}.png", sha256=f"{n}" * 64)
        GalleryEmbedding.objects.filter(image=image).update(
            status=status, failure_reason="bad file" if status == "failed" else ""
        )
    page = login("manager").get(reverse("backoffice:gallery")).content.decode()
    for stat, value in (("indexed", 2), ("pending", 1), ("failed", 1)):
        assert f'data-stat="{stat}">{value}<' in page
    assert "bad file" in page and "No recognition worker has reported yet." in page


def test_retry_button_queues_failed_and_pending_photos_again(
    login, products, engine_settings, tmp_path, django_capture_on_commit_callbacks
):
    from gallery.services import Upload, add_photos
    from recognition import runtime

    extractor = engine_settings.SHITU_REC_MODEL_DIR
    engine_settings.SHITU_REC_MODEL_DIR = str(tmp_path / "missing")  # the models are not there yet
    runtime.reset()
    with django_capture_on_commit_callbacks(execute=True):
        add_photos(products["COLA"], [Upload(encode(pattern(seed)), f"{seed}.png") for seed in (1, 2)])
    client = login("manager")
    page = client.get(reverse("backoffice:gallery")).content.decode()
    assert 'data-stat="failed">2<' in page and "recognition model unavailable" in page
    assert "Retry 2 failed or pending photos" in page
    assert 'id="retry-photos"' not in login("cashier").get(reverse("backoffice:gallery")).content.decode()

    engine_settings.SHITU_REC_MODEL_DIR = extractor  # the models arrive
    runtime.reset()
    with django_capture_on_commit_callbacks(execute=True):
        response = login("manager").post(reverse("backoffice:gallery-retry"))
    assert response.status_code == 302
    page = login("manager").get(reverse("backoffice:gallery")).content.decode()
    assert "Queued 2 photos for embedding again (2 failed, 0 pending)." in page
    assert 'data-stat="indexed">2<' in page and 'data-stat="failed">0<' in page
    assert 'id="retry-photos"' not in page  # nothing left to retry
