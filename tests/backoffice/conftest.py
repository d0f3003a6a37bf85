"""Fixtures for the back-office tests: staff in each role, a shop with sales, recognitions."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import Customer
from backoffice.roles import sync_role_groups
from catalog.models import Product, Store
from checkout.models import Recognition
from tests.gallery.conftest import engine_settings  # noqa: F401  (fixtures reused)
from tests.recognition.conftest import encode, models, pattern  # noqa: F401
from tests.reports.conftest import (  # noqa: F401  (the shop and its sales, shared with the reports tests)
    customer,
    local,
    paid_order,
    sales,
    settled_refund,
    shop,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_tasks(settings):
    """Run queued Celery tasks in-process even when REDIS_URL points at a real broker
    (Celery reads its namespace from the Django settings object on each lookup)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def staff(db) -> dict[str, User]:
    """One user per role.  The groups come from a data migration, which a transactional test's
    flush empties: they are made again here (the migration's own function) rather than restored by
    serialized_rollback, which collides with the content types a flush's post_migrate recreates."""
    sync_role_groups(Group, Permission)
    return {role: make_user(role, role) for role in ("owner", "manager", "cashier")} | {
        "nobody": make_user("nobody", None)
    }


@pytest.fixture
def login(client, staff):
    """``login("manager")`` signs the test client in as that role and returns it."""

    def _login(role: str):
        client.force_login(staff[role])
        return client

    return _login


def jpeg(width: int = 320, height: int = 240, seed: int = 1) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pattern(seed, size=max(width, height))[:height, :width]).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def make_recognition(store: Store, customer: Customer, result: dict, **fields) -> Recognition:  # noqa: F811
    """A finished recognition as the checkout stores it (photo + the engine's raw answer)."""
    width, height = result.get("image_size", [320, 240])
    rec = Recognition(customer=customer, store=store, width=width, height=height, status="done", result=result)
    for name, value in fields.items():
        setattr(rec, name, value)
    rec.photo.save(f"{rec.id}.jpg", ContentFile(jpeg(width, height)), save=False)
    rec.save()
    return rec


def engine_result(matched: list[tuple[str, float, list[float]]], unknown: list[list[float]] = ()) -> dict:
    """The engine's ``Recognition.to_dict()`` shape: one box per matched entry, then unknown boxes."""
    return {
        "lines": [
            {
                "label": sku,
                "quantity": 1,
                "boxes": [
                    {
                        "box": box,
                        "score": score,
                        "det_score": 0.9,
                        "unsure": False,
                        "candidates": [{"label": sku, "score": score, "id": 1}],
                    }
                ],
                "scores": [score],
            }
            for sku, score, box in matched
        ],
        "unknown": [{"box": box, "score": 0.8, "candidates": []} for box in unknown],
        "image_size": [320, 240],
        "timings": {},
        "whole_image": False,
    }


@pytest.fixture
def products(shop) -> dict[str, Product]:  # noqa: F811 - the imported fixture
    return {p.sku: p for p in Product.objects.all()}
