"""Roles: the groups the migration creates, and every page enforcing its permission."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from backoffice.roles import ROLE_PERMISSIONS
from catalog.models import PriceChange

pytestmark = pytest.mark.django_db

PAGES = ["dashboard", "products", "product-new", "orders", "orders-export", "review", "gallery", "audit", "staff"]
ALLOWED = {
    "owner": set(PAGES),
    "manager": set(PAGES) - {"staff"},
    "cashier": {"products", "orders"},
    "nobody": set(),
}


def test_migration_creates_the_three_groups_with_their_permissions():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert have == set(names)
    cashier = set(ROLE_PERMISSIONS["cashier"])
    assert "catalog.change_product" not in cashier and "orders.add_refund" not in cashier


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "nobody"])
def test_each_page_enforces_its_permission(login, role, shop):
    client = login(role)
    for page in PAGES:
        status = client.get(reverse(f"backoffice:{page}")).status_code
        assert status == (200 if page in ALLOWED[role] else 403), (role, page, status)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("backoffice:orders"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login") + "?next=")


def test_home_sends_each_role_to_its_first_page(login, shop):
    assert login("manager").get(reverse("backoffice:home"))["Location"] == reverse("backoffice:dashboard")
    assert login("cashier").get(reverse("backoffice:home"))["Location"] == reverse("backoffice:orders")


def test_cashier_cannot_change_a_price_or_refund(login, products):
    client = login("cashier")
    cola = products["COLA"]
    page = client.get(reverse("backoffice:product", args=[cola.pk])).content.decode()
    assert 'id="edit-product"' not in page and 'id="add-photo"' not in page
    response = client.post(
        reverse("backoffice:product-edit", args=[cola.pk]),
        {"name": "x", "price": "0.01", "stock": 1, "is_active": "on"},
    )
    assert response.status_code == 403
    cola.refresh_from_db()
    assert cola.price_fen == 350 and PriceChange.objects.filter(product=cola).count() == 1


def test_login_page_signs_in_with_username_and_password(client, staff):
    from tests.backoffice.conftest import PASSWORD

    response = client.post(reverse("backoffice:login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("backoffice:dashboard")).status_code == 200
    assert client.post(reverse("backoffice:logout")).status_code == 302
    assert client.get(reverse("backoffice:dashboard")).status_code == 302


def test_wrong_password_is_refused(client, staff):
    response = client.post(reverse("backoffice:login"), {"username": "manager", "password": "nope"})
    assert response.status_code == 200 and b"correct username and password" in response.content


ACTIONS = {  # every POST endpoint, with the lowest role allowed to use it
    "product-edit": ([1], "manager"),
    "product-photo-add": ([1], "manager"),
    "product-photo-delete": ([1, 1], "manager"),
    "gallery-retry": ([], "manager"),
    "order-refund": ([uuid.uuid4()], "manager"),
    "review-add-crop": ([uuid.uuid4()], "manager"),
    "review-done": ([uuid.uuid4()], "manager"),
    "staff-role": ([1], "owner"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_refuses_anonymous_visitors_and_lesser_roles(client, staff, action):
    """Permission is checked before the object is looked up: no 404 tells a cashier what exists."""
    args, lowest = ACTIONS[action]
    url = reverse(f"backoffice:{action}", args=args)
    response = client.post(url, {})
    assert response.status_code == 302 and response["Location"].startswith(reverse("backoffice:login"))
    refused = ["nobody", "cashier"] + (["manager"] if lowest == "owner" else [])
    for role in refused:
        client.force_login(staff[role])
        assert client.post(url, {}).status_code == 403, (action, role)
    client.force_login(staff[lowest])
    assert client.post(url, {}).status_code != 403, (action, lowest)
