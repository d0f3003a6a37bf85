"""The back-office rough edges found on a try (issue 11): product list, product page, staff,
refund form, review candidates, gallery workers, and where `/` sends people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category, Product, ProductImage
from gallery.models import GalleryEmbedding, GalleryWorker
from tests.backoffice.conftest import engine_result, make_recognition, paid_order

pytestmark = pytest.mark.django_db


def listed(client, **params) -> list[str]:
    return [p.sku for p in client.get(reverse("backoffice:products"), params).context["page_obj"].object_list]


def test_product_list_sorts_by_any_column_and_filters_by_category(login, products):
    drinks = Category.objects.create(name="Drinks", slug="drinks")
    Product.objects.filter(sku__in=["COLA", "TEA", "WATER"]).update(category=drinks)
    client = login("cashier")
    assert listed(client) == ["CHIPS", "COLA", "TEA", "WATER"]  # SKU by default
    assert listed(client, sort="-price") == ["CHIPS", "TEA", "COLA", "WATER"]
    assert listed(client, sort="price") == ["WATER", "COLA", "TEA", "CHIPS"]
    assert listed(client, sort="stock")[:2] == ["WATER", "CHIPS"]
    assert listed(client, sort="category") == ["COLA", "TEA", "WATER", "CHIPS"]  # by name, no category last
    assert listed(client, sort="nonsense") == ["CHIPS", "COLA", "TEA", "WATER"]
    assert listed(client, category=drinks.pk, sort="-stock") == ["COLA", "TEA", "WATER"]
    page = client.get(reverse("backoffice:products"), {"sort": "price"}).content.decode()
    assert 'href="?sort=-price"' in page  # a second click on the sorted column reverses it
    assert 'href="?sort=name"' in page and "Page 1 of" not in page  # one page: no pager at all


def test_product_list_shows_a_thumbnail_and_the_category(login, products, engine_settings):
    image = ProductImage.objects.create(product=products["TEA"], image="products/TEA/first.png", sha256="a" * 64)
    ProductImage.objects.create(product=products["TEA"], image="products/TEA/second.png", sha256="b" * 64)
    products["TEA"].category = Category.objects.create(name="Tea and coffee", slug="tea")
    products["TEA"].save()
    page = login("cashier").get(reverse("backoffice:products")).content.decode()
    assert f'src="/media/{image.image.name}"' in page and "second.png" not in page
    assert "Tea and coffee" in page
    assert page.count('class="thumb none"') == 3  # the others have no photo yet


def test_product_page_edits_barcode_and_category(login, products):
    tea, snacks = products["TEA"], Category.objects.create(name="Snacks", slug="snacks")
    client = login("manager")
    form = {"name": "Green tea", "price": "5.00", "stock": "20", "is_active": "on"}
    response = client.post(
        reverse("backoffice:product-edit", args=[tea.pk]), {**form, "barcode": "6901234567892", "category": snacks.pk}
    )
    assert response.status_code == 302
    tea.refresh_from_db()
    assert (tea.barcode, tea.category) == ("6901234567892", snacks)
    page = client.get(reverse("backoffice:product", args=[tea.pk])).content.decode()
    assert 'value="6901234567892"' in page and f'<option value="{snacks.pk}" selected>' in page
    bad = client.post(reverse("backoffice:product-edit", args=[tea.pk]), {**form, "barcode": "12ab"})
    assert bad.status_code == 400 and "Barcode must be 8 to 14 digits" in bad.content.decode()
    products["COLA"].barcode = "6900000000001"
    products["COLA"].save()
    taken = client.post(reverse("backoffice:product-edit", args=[tea.pk]), {**form, "barcode": "6900000000001"})
    assert taken.status_code == 400
    tea.refresh_from_db()
    assert tea.barcode == "6901234567892"
    cleared = client.post(reverse("backoffice:product-edit", args=[tea.pk]), {**form, "barcode": "", "category": ""})
    assert cleared.status_code == 302
    tea.refresh_from_db()
    assert (tea.barcode, tea.category) == (None, None)


def test_add_staff_offers_the_least_privilege_first(login):
    form = login("owner").get(reverse("backoffice:staff")).context["form"]
    assert form["role"].value() == "cashier"
    assert [value for value, _label in form.fields["role"].choices] == ["cashier", "manager", "owner"]


def test_refund_form_prefills_no_amount(login, shop, customer):
    order = paid_order(shop, customer, {"COLA": 2}, timezone.now())
    response = login("manager").get(reverse("backoffice:order", args=[order.pk]))
    assert response.context["refund_form"]["amount"].value() is None
    html = response.content.decode()
    assert 'name="amount"' in html and 'name="amount" value' not in html
    assert "Up to ¥7.00 can be refunded" in html


def test_review_item_shows_each_candidate_with_its_name_photo_and_score(login, shop, customer, products):
    ProductImage.objects.create(product=products["CHIPS"], image="products/CHIPS/ref.png", sha256="c" * 64)
    result = engine_result([("COLA", 0.52, [10, 20, 130, 140])], unknown=[[150, 40, 300, 200]])
    result["lines"][0]["boxes"][0]["candidates"].append({"label": "CHIPS", "score": 0.5, "id": 9})
    result["unknown"][0]["candidates"] = [{"label": "TEA", "score": 0.3, "id": 4}]
    rec = make_recognition(shop, customer, result, min_confidence=0.52)
    response = login("manager").get(reverse("backoffice:review-item", args=[rec.pk]))
    first, second = response.context["items"]
    assert [(c.sku, c.name, c.score) for c in first.candidates] == [
        ("COLA", "Cola 330ml", 0.52),  # the match first
        ("CHIPS", "Potato chips", 0.5),
    ]
    assert first.candidates[1].photo == "products/CHIPS/ref.png" and first.match_name == "Cola 330ml"
    assert [c.sku for c in second.candidates] == ["TEA"] and second.match_name == ""
    html = response.content.decode()
    # Each candidate is a one-click form for its box; the crop is drawn enlarged from the photo.
    assert html.count('name="sku" value="CHIPS"') == 1 and html.count('<button type="submit" class="candidate') == 3
    assert 'src="/media/products/CHIPS/ref.png"' in html and "match 50%" in html
    assert 'viewBox="150.0 40.0 150.0 160.0"' in html or 'viewBox="150 40 150 160"' in html


def test_gallery_page_ages_out_dead_workers_and_names_the_model(login, engine_settings):
    now = timezone.now()
    model = "general_PPLCNetV2_base_pretrained_v1.0_infer@0123456789ab"
    for name, age in (("alive:1", timedelta(seconds=5)), ("dead:2", timedelta(hours=3)), ("old:3", timedelta(days=3))):
        GalleryWorker.objects.create(
            name=name, model_version=model, started_at=now - age - timedelta(hours=1), heartbeat_at=now - age
        )
    response = login("manager").get(reverse("backoffice:gallery"))
    assert [w["name"] for w in response.context["workers"]] == ["alive:1", "dead:2"]
    assert response.context["forgotten_workers"] == 1
    html = response.content.decode()
    assert "old:3" not in html and "1 worker silent for more than a day is not listed." in html
    # The model by its name; the weights' hash only in the tooltip (and the worker is on an older model).
    assert html.count("general_PPLCNetV2_base_pretrained_v1.0_infer") == 4 and html.count(f'title="{model}"') == 2
    assert html.count(">older model<") == 2
    assert html.count("1\xa0hour ago") >= 1  # loaded (started) an hour before its last heartbeat
    assert GalleryEmbedding.objects.count() == 0


def test_the_site_root_sends_people_to_the_checkout_or_the_back_office(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/checkout/"' in html and 'href="/backoffice/"' in html
