"""Owners add staff and change roles; a person has exactly one role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_owner_adds_a_cashier_who_can_then_sign_in(login, client):
    response = login("owner").post(
        reverse("backoffice:staff"),
        {"username": "amy", "password1": "a-long-pass-123", "password2": "a-long-pass-123", "role": "cashier"},
    )
    assert response.status_code == 302
    amy = User.objects.get(username="amy")
    assert roles_of(amy) == ["cashier"] and not amy.is_staff
    client.logout()
    assert client.login(username="amy", password="a-long-pass-123")
    assert client.get(reverse("backoffice:orders")).status_code == 200
    assert client.get(reverse("backoffice:dashboard")).status_code == 403


def test_role_change_replaces_the_old_role(login, staff):
    login("owner").post(
        reverse("backoffice:staff-role", args=[staff["cashier"].pk]), {"role": "manager", "is_active": "on"}
    )
    assert roles_of(staff["cashier"]) == ["manager"]


def test_owner_cannot_demote_themself(login, staff):
    login("owner").post(
        reverse("backoffice:staff-role", args=[staff["owner"].pk]), {"role": "cashier", "is_active": "on"}
    )
    assert roles_of(staff["owner"]) == ["owner"]


def test_manager_cannot_manage_staff(login, staff):
    response = login("manager").post(
        reverse("backoffice:staff-role", args=[staff["manager"].pk]), {"role": "owner", "is_active": "on"}
    )
    assert response.status_code == 403 and roles_of(staff["manager"]) == ["manager"]
