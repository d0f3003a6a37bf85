"""Review queue: flagged recognitions, the photo with its boxes, one click to add a crop."""

from __future__ import annotations

import pytest
from django.urls import reverse
from PIL import Image

from backoffice.models import RecognitionReview
from catalog.models import ProductImage
from gallery.models import GalleryChange, GalleryEmbedding
from tests.backoffice.conftest import engine_result, make_recognition

pytestmark = pytest.mark.django_db


@pytest.fixture
def recognitions(shop, customer, settings):
    settings.BACKOFFICE_REVIEW_MIN_SCORE = 0.6
    return {
        "confident": make_recognition(
            shop, customer, engine_result([("COLA", 0.95, [0, 0, 100, 100])]), min_confidence=0.95
        ),
        "low": make_recognition(
            shop, customer, engine_result([("TEA", 0.52, [10, 20, 130, 140])]), min_confidence=0.52
        ),
        "unknown": make_recognition(
            shop,
            customer,
            engine_result([("COLA", 0.9, [0, 0, 100, 100])], unknown=[[150, 40, 300, 200]]),
            min_confidence=0.9,
            unknown=[{"id": 2, "box": [150, 40, 300, 200], "score": 0.8, "unsure": True, "alternatives": []}],
        ),
        "corrected": make_recognition(
            shop, customer, engine_result([("COLA", 0.9, [0, 0, 100, 100])]), min_confidence=0.9, corrected=True
        ),
        "unsure": make_recognition(  # a high score, but the runner-up was close: the engine said "unsure"
            shop, customer, engine_result([("TEA", 0.88, [0, 0, 100, 100])]), min_confidence=0.88, unsure=True
        ),
    }


def test_queue_holds_low_score_unsure_unknown_and_corrected(login, recognitions):
    response = login("manager").get(reverse("backoffice:review"))
    queue = response.context["page_obj"].object_list
    assert {r.pk for r in queue} == {recognitions[k].pk for k in ("low", "unknown", "corrected", "unsure")}
    assert '<span class="badge warn">unsure</span>' in response.content.decode()


def test_a_recognised_cart_with_an_unsure_line_is_flagged(shop, customer, products):
    from checkout import services

    result = engine_result([("COLA", 0.9, [0, 0, 100, 100]), ("TEA", 0.86, [110, 0, 210, 100])])
    result["lines"][1]["boxes"][0]["unsure"] = True
    rec = make_recognition(shop, customer, result)
    rec.lines, rec.unknown = services.price_result(result)
    services.reprice(rec)
    rec.save()
    assert rec.unsure is True and rec.min_confidence == 0.86  # above the review score, flagged all the same
    services.set_quantity(rec, "TEA", 0)
    rec.refresh_from_db()
    assert rec.unsure is False and rec.corrected is True  # the unsure line is gone; the correction is the flag now


def test_photo_page_draws_every_box(login, recognitions):
    page = login("manager").get(reverse("backoffice:review-item", args=[recognitions["unknown"].pk])).content.decode()
    assert 'viewBox="0 0 320 240"' in page
    assert page.count('class="box known"') == 1 and page.count('class="box unknown"') == 1
    assert (
        'x="150.0" y="40.0" width="150.0" height="160.0"' in page or 'x="150" y="40" width="150" height="160"' in page
    )


def test_add_crop_makes_a_new_gallery_photo(
    login, recognitions, products, engine_settings, eager_tasks, django_capture_on_commit_callbacks, staff
):
    rec = recognitions["unknown"]
    with django_capture_on_commit_callbacks(execute=True):
        response = login("manager").post(
            reverse("backoffice:review-add-crop", args=[rec.pk]), {"box": "1", "sku": "CHIPS"}
        )
    assert response.status_code == 302
    image = ProductImage.objects.get(product=products["CHIPS"])
    assert (image.width, image.height) == (150, 160)  # the unknown box, cropped from the photo
    with Image.open(image.image.path) as crop:
        assert crop.size == (150, 160)
    assert GalleryEmbedding.objects.get(image=image).status == "indexed"
    assert GalleryChange.objects.filter(op="add", image_id=image.pk, label="CHIPS").exists()


def test_add_crop_rejects_unknown_box_or_sku(login, recognitions):
    client = login("manager")
    rec = recognitions["low"]
    response = client.post(
        reverse("backoffice:review-add-crop", args=[rec.pk]), {"box": "5", "sku": "COLA"}, follow=True
    )
    assert "has no box 5" in response.content.decode()
    response = client.post(
        reverse("backoffice:review-add-crop", args=[rec.pk]), {"box": "0", "sku": "NOPE"}, follow=True
    )
    assert "No product with SKU NOPE" in response.content.decode()
    assert not ProductImage.objects.exists()


def test_done_takes_it_off_the_queue_and_opens_the_next(login, recognitions, staff):
    client = login("manager")
    response = client.post(reverse("backoffice:review-done", args=[recognitions["corrected"].pk]))
    review = RecognitionReview.objects.get(recognition=recognitions["corrected"])
    assert review.reviewed_by == staff["manager"]
    assert response["Location"].startswith("/backoffice/review/")
    queue = client.get(reverse("backoffice:review")).context["page_obj"].object_list
    assert recognitions["corrected"].pk not in {r.pk for r in queue}


def test_cashier_cannot_add_crops(login, recognitions):
    response = login("cashier").post(
        reverse("backoffice:review-add-crop", args=[recognitions["low"].pk]), {"box": "0", "sku": "TEA"}
    )
    assert response.status_code == 403 and not ProductImage.objects.exists()


def test_the_review_pages_show_the_photo_through_the_reviewers_view(login, recognitions, client):
    rec = recognitions["unknown"]
    photo_url = reverse("backoffice:review-photo", args=[rec.pk])
    page = login("manager").get(reverse("backoffice:review-item", args=[rec.pk])).content.decode()
    assert f'src="{photo_url}"' in page and "/media/" + rec.photo.name not in page
    answer = client.get(photo_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert b"".join(answer.streaming_content) == rec.photo.open("rb").read()
    assert login("cashier").get(photo_url).status_code == 403  # no review permission, no photo
