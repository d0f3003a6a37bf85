"""The embedded default: POST /checkout/recognize runs the pipeline in-process and answers the cart.

Tiny Paddle models (tests/recognition) and a live gallery built from real catalog photos.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from checkout.models import Recognition
from gallery.models import GalleryEmbedding
from orders.models import Order
from tests.recognition.conftest import encode, scene

pytestmark = pytest.mark.django_db(transaction=True)
RECOGNIZE = "/api/v1/checkout/recognize"


def photo_with_exif() -> bytes:
    image = Image.fromarray(scene())
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def recognize(api, data: bytes, name: str = "basket.jpg", **extra):
    return api.post(RECOGNIZE, {"image": _named(data, name), **extra}, format="multipart")


def _named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


@pytest.fixture
def done(api, eager, gallery_products) -> dict:
    assert GalleryEmbedding.objects.filter(status="indexed").count() == 2
    response = recognize(api, encode(scene()), "basket.png")
    assert response.status_code == 200, response.content
    return response.json()


def test_recognize_prices_lines_from_the_catalog(done):
    assert done["status"] == "done" and done["image_size"] == [640, 640]
    lines = {line["sku"]: line for line in done["lines"]}
    assert set(lines) == {"SKU-A", "SKU-B"}
    assert lines["SKU-A"]["quantity"] == 2 and lines["SKU-A"]["unit_price_fen"] == 350
    assert lines["SKU-A"]["subtotal_fen"] == 700 and len(lines["SKU-A"]["boxes"]) == 2
    assert lines["SKU-B"]["quantity"] == 1 and lines["SKU-B"]["name"] == "Item B"
    assert done["total_fen"] == 700 + 1200
    assert len(done["unknown"]) == 1  # item C has no reference photo
    box_ids = [b["id"] for line in done["lines"] for b in line["boxes"]] + [u["id"] for u in done["unknown"]]
    assert len(set(box_ids)) == len(box_ids)
    record = Recognition.objects.get(pk=done["id"])
    assert record.min_confidence is not None and record.corrected is False
    assert record.result["lines"]  # the engine's raw answer is kept for review


def test_photo_is_kept_without_exif(api, eager, gallery_products):
    response = recognize(api, photo_with_exif())
    assert response.status_code == 200, response.content
    record = Recognition.objects.get(pk=response.json()["id"])
    with record.photo.open("rb") as fh, Image.open(fh) as kept:
        assert kept.format == "JPEG" and kept.size == (640, 640)
        assert not kept.getexif() and "exif" not in kept.info
    assert b"SecretCam" not in record.photo.open("rb").read()


def test_inactive_product_becomes_unknown(api, eager, gallery_products):
    gallery_products["SKU-B"].is_active = False
    gallery_products["SKU-B"].save()
    body = recognize(api, encode(scene()), "basket.png").json()
    assert {line["sku"] for line in body["lines"]} == {"SKU-A"}
    assert body["total_fen"] == 700


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"not a photo at all" * 20, "x.jpg", 400),
        (b"", "empty.jpg", 400),
        (encode(scene())[:2000], "truncated.png", 400),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(api, eager, gallery_products, data, name, status):
    response = recognize(api, data, name)
    assert response.status_code == status, response.content
    assert response.json()["error"]["fields"][0]["field"] == "image"
    assert not Recognition.objects.exists()


def test_upload_caps(api, eager, gallery_products, settings):
    settings.CHECKOUT_MAX_UPLOAD_BYTES = 1000
    assert recognize(api, encode(scene()), "basket.png").status_code == 413
    settings.CHECKOUT_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    settings.CHECKOUT_MAX_UPLOAD_PIXELS = 100 * 100
    response = recognize(api, encode(scene()), "basket.png")
    assert response.status_code == 400 and "pixels" in response.json()["error"]["message"]
    assert not Recognition.objects.exists()


def test_recognize_needs_a_customer(client, eager, gallery_products):
    assert client.post(RECOGNIZE, {"image": _named(encode(scene()), "b.png")}).status_code in (401, 403)


def test_unknown_store_is_refused(api, eager, gallery_products):
    response = recognize(api, encode(scene()), "basket.png", store="nowhere")
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "store"


def test_missing_models_answer_503(api, eager, gallery_products, settings, tmp_path):
    from gallery import live
    from recognition import runtime

    settings.SHITU_DET_MODEL_DIR = str(tmp_path / "missing")
    runtime.reset()
    live.reset()
    response = recognize(api, encode(scene()), "basket.png")
    assert response.status_code == 503
    assert Recognition.objects.get().status == "failed"


def test_cart_corrections_reprice_and_mark_corrected(api, done, gallery_products, products):
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    changed = api.patch(f"{url}/lines/SKU-A", {"quantity": 3}, format="json").json()
    assert changed["total_fen"] == 3 * 350 + 1200 and changed["corrected"] is True
    added = api.post(f"{url}/lines", {"barcode": "6900000000002", "quantity": 1}, format="json").json()
    assert {line["sku"]: line["quantity"] for line in added["lines"]}["SC0002"] == 1
    assert added["total_fen"] == 3 * 350 + 1200 + 800
    removed = api.delete(f"{url}/lines/SKU-B").json()
    assert "SKU-B" not in {line["sku"] for line in removed["lines"]}
    # a price change between two edits is picked up: the server prices every time
    gallery_products["SKU-A"].price_fen = 400
    gallery_products["SKU-A"].save()
    again = api.patch(f"{url}/lines/SKU-A", {"quantity": 1}, format="json").json()
    assert again["total_fen"] == 400 + 800
    assert api.patch(f"{url}/lines/SKU-A", {"quantity": -1}, format="json").status_code == 400
    assert api.patch(f"{url}/lines/NOPE", {"quantity": 1}, format="json").status_code == 404
    assert api.post(f"{url}/lines", {"sku": "NOPE"}, format="json").status_code == 400
    assert api.post(f"{url}/lines", {}, format="json").status_code == 400


def test_choose_alternative_moves_the_box(api, done):
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    box = next(b for line in done["lines"] if line["sku"] == "SKU-B" for b in line["boxes"])
    refused = api.post(f"{url}/boxes/{box['id']}/choose", {"sku": "SC-NOT-OFFERED"}, format="json")
    assert refused.status_code == 400
    record = Recognition.objects.get(pk=done["id"])
    # offer SKU-A for this box, as the engine does when the two are close
    for line in record.lines:
        for b in line["boxes"]:
            if b["id"] == box["id"]:
                b["unsure"] = True
                b["alternatives"] = [{"sku": "SKU-A", "name": "Item A", "unit_price_fen": 350, "score": 0.9}]
    record.save()
    chosen = api.post(f"{url}/boxes/{box['id']}/choose", {"sku": "SKU-A"}, format="json").json()
    assert {line["sku"]: line["quantity"] for line in chosen["lines"]} == {"SKU-A": 3}
    assert chosen["total_fen"] == 3 * 350 and chosen["corrected"] is True


def test_unknown_item_is_picked_as_any_product_or_removed(api, done, products):
    """ "Pick the product" for an item nothing matched (by SKU or barcode), "remove" for one not bought."""
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    unknown = done["unknown"][0]
    assert api.post(f"{url}/boxes/{unknown['id']}/choose", {"sku": "NOPE"}, format="json").status_code == 400
    assert api.post(f"{url}/boxes/{unknown['id']}/choose", {}, format="json").status_code == 400
    picked = api.post(f"{url}/boxes/{unknown['id']}/choose", {"barcode": "6900000000002"}, format="json").json()
    assert picked["unknown"] == [] and picked["corrected"] is True
    line = next(line for line in picked["lines"] if line["sku"] == "SC0002")
    assert line["quantity"] == 1 and [b["id"] for b in line["boxes"]] == [unknown["id"]]
    assert picked["total_fen"] == done["total_fen"] + 800
    # A recognised box too many: removing it takes one off its line; a box that is not there is a 404.
    box = next(b for line in picked["lines"] if line["sku"] == "SKU-A" for b in line["boxes"])
    removed = api.delete(f"{url}/boxes/{box['id']}").json()
    assert {ln["sku"]: ln["quantity"] for ln in removed["lines"]}["SKU-A"] == 1
    assert removed["total_fen"] == picked["total_fen"] - 350
    assert api.delete(f"{url}/boxes/{box['id']}").status_code == 404
    assert api.delete(f"{url}/boxes/{unknown['id'] + 100}").status_code == 404


def test_removing_an_unknown_item(api, done):
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    removed = api.delete(f"{url}/boxes/{done['unknown'][0]['id']}").json()
    assert removed["unknown"] == [] and removed["lines"] == done["lines"] and removed["corrected"] is True


def test_order_from_recognition_and_other_customers_locked_out(api, done, other_customer):
    from tests.wechat_fixtures import client_for

    other = client_for(other_customer)
    assert other.get(f"/api/v1/checkout/recognitions/{done['id']}").status_code == 404
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in done["lines"]]
    refused = other.post("/api/v1/orders", {"recognition": done["id"], "lines": lines}, format="json")
    assert refused.status_code == 400
    response = api.post("/api/v1/orders", {"recognition": done["id"], "lines": lines}, format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert order.total_fen == done["total_fen"] and order.store.code == "demo"
    record = Recognition.objects.get(pk=done["id"])
    assert record.order_id == order.pk and record.corrected is False
    again = api.post("/api/v1/orders", {"recognition": done["id"], "lines": lines}, format="json")
    assert again.status_code == 409
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    assert api.patch(f"{url}/lines/SKU-A", {"quantity": 1}, format="json").status_code == 409


def test_order_by_recognition_id_alone_orders_the_cart_as_corrected(api, done, store):
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    corrected = api.patch(f"{url}/lines/SKU-B", {"quantity": 3}, format="json").json()
    response = api.post("/api/v1/orders", {"recognition": done["id"]}, format="json")  # no lines
    assert response.status_code == 201, response.content
    body = response.json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"SKU-A": 2, "SKU-B": 3}
    assert body["total_fen"] == corrected["total_fen"] == 2 * 350 + 3 * 1200
    record = Recognition.objects.get(pk=done["id"])
    assert str(record.order_id) == body["id"] and record.corrected is True
    assert api.post("/api/v1/orders", {"recognition": done["id"]}, format="json").status_code == 409


def test_order_without_lines_needs_a_finished_non_empty_recognition(api, done, store):
    neither = api.post("/api/v1/orders", {}, format="json")
    assert neither.status_code == 400 and neither.json()["error"]["fields"][0]["field"] == "lines"
    url = f"/api/v1/checkout/recognitions/{done['id']}"
    for line in done["lines"]:
        api.delete(f"{url}/lines/{line['sku']}")
    empty = api.post("/api/v1/orders", {"recognition": done["id"]}, format="json")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    Recognition.objects.filter(pk=done["id"]).update(status="pending")
    pending = api.post("/api/v1/orders", {"recognition": done["id"]}, format="json")
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "cart_locked"
    assert not Order.objects.exists()


def test_recognize_is_throttled(api, eager, gallery_products, monkeypatch, settings):
    monkeypatch.setitem(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "recognize", "2/min")
    statuses = [recognize(api, b"not an image" * 10).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
