"""Errors, health, schema and docs: the parts every client and operator touches first."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.models import Product
from orders.models import Order
from orders.services import LineRequest, create_order

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "status": 404,
        "code": "not_found",
        "message": "No such resource: /api/v1/no-such-thing",
        "fields": [],
    }


def test_pages_outside_the_api_get_html_errors(client):
    response = client.get("/backoffice/orders/00000000-0000-0000-0000-000000000000/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_in_error_shape(staff_client):
    response = staff_client.put("/api/v1/orders", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_healthz_reports_database_redis_and_models(client, settings, tmp_path):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["models"]["detector"]["present"] is False

    model = tmp_path / "det"
    model.mkdir()
    (model / "inference.json").write_text("{}")
    (model / "inference.pdiparams").write_bytes(b"\0")
    settings.SHITU_DET_MODEL_DIR = str(model)
    assert client.get("/healthz").json()["models"]["detector"] == {"path": str(model), "present": True}


def test_healthz_fails_when_configured_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["ok"] is False and response.json()["status"] == "unavailable"


def test_healthz_uses_real_redis_when_configured(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: embedded run")
    assert client.get("/healthz").json()["redis"] == {"ok": True, "configured": True}


def test_openapi_schema_is_valid_and_lists_the_api(client, capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/products", "/api/v1/orders", "/api/v1/products/{id}/price-history"} <= set(schema["paths"])


def test_swagger_ui_works_offline(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.content.decode())
    assert any("swagger-ui-bundle.js" in a for a in assets)
    for asset in assets:  # every asset is served by us: no CDN, works with no internet
        response = client.get(asset)
        assert response.status_code == 200, asset
        b"".join(response.streaming_content) if response.streaming else response.content


def test_admin_pages_for_every_model(admin_client, customer, store, make_product):
    product = make_product(sku="ADM1")
    order = create_order(customer=customer, store=store, lines=[LineRequest("ADM1", 1)])
    for path in [
        "/admin/catalog/product/",
        f"/admin/catalog/product/{product.pk}/change/",
        "/admin/catalog/store/",
        "/admin/catalog/category/",
        "/admin/catalog/productimage/",
        "/admin/catalog/pricechange/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/accounts/customer/",
        "/admin/orders/payment/",
        "/admin/orders/refund/",
    ]:
        assert admin_client.get(path).status_code == 200, path


def test_admin_price_edit_goes_to_history(admin_client, admin_user, make_product):
    product = make_product(sku="ADM2", price_fen=100, stock=1)
    form = {"sku": "ADM2", "name": product.name, "price_fen": "150", "stock": "1", "is_active": "on", "barcode": ""}
    for prefix in ("images", "price_changes"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    form["price_changes-INITIAL_FORMS"] = "1"
    form["price_changes-TOTAL_FORMS"] = "1"
    form["price_changes-0-id"] = str(product.price_changes.get().pk)
    form["price_changes-0-product"] = str(product.pk)
    response = admin_client.post(f"/admin/catalog/product/{product.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    product.refresh_from_db()
    assert product.price_fen == 150
    latest = product.price_changes.first()
    assert (latest.old_price_fen, latest.new_price_fen, latest.changed_by, latest.source) == (
        100,
        150,
        admin_user,
        "admin",
    )


def test_admin_cannot_add_orders_or_bypass_the_photo_service(admin_client):
    assert admin_client.get("/admin/orders/order/add/").status_code == 403
    assert admin_client.get("/admin/catalog/productimage/add/").status_code == 403
    for log in ("catalog/pricechange", "gallery/gallerychange"):  # audit logs are append-only
        assert admin_client.get(f"/admin/{log}/add/").status_code == 403
    assert not Order.objects.exists() and not Product.objects.exists()


def test_admin_login_form(django_user_model):
    django_user_model.objects.create_superuser("boss", password="boss-pass-123")
    client = Client()
    page = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "boss-pass-123"})
    assert page.status_code == 302 and page["Location"] == "/admin/"
    assert b"Site administration" in client.get("/admin/").content
    refused = Client().post("/admin/login/", {"username": "boss", "password": "wrong"})
    assert refused.status_code == 200 and b"correct username and password" in refused.content


def test_api_login_with_password(django_user_model):
    django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True)
    client = Client()
    assert client.login(username="clerk", password="clerk-pass-123")
    assert client.get("/api/v1/products").status_code == 200


def test_every_api_route_answers_with_and_without_a_trailing_slash():
    """Mini-program authors write both; a redirect would drop a POST body."""
    from django.urls import get_resolver

    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = [str(inner.pattern) for group in api.url_patterns for inner in group.url_patterns]
    assert len(routes) > 20
    assert all(route.endswith("/?$") for route in routes), [r for r in routes if not r.endswith("/?$")]


@pytest.mark.parametrize("url", ["/api/v1/auth/wechat/login", "/api/v1/auth/wechat/login/"])
def test_plain_routes_take_both_forms(client, url):
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "code"
