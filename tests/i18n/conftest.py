"""Fixtures for the language and page tests: the product's own default language (Chinese), and a
shop with Chinese product names, photos in the gallery, sales, a refund, photos to review and
gallery workers, so every back-office page has something on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.utils import timezone

from accounts.models import Customer
from backoffice.roles import ROLES, sync_role_groups
from catalog import services as catalog_services
from catalog.models import Category, Product, Store
from gallery import services as gallery_services
from gallery.models import GalleryWorker
from gallery.selectors import current_model_version
from reconciliation.models import Discrepancy, ReconciliationRun
from tests.backoffice.conftest import (  # noqa: F401  (fixtures reused)
    PASSWORD,
    eager_tasks,
    engine_result,
    make_recognition,
    make_user,
    paid_order,
    settled_refund,
)
from tests.gallery.conftest import engine_settings  # noqa: F401
from tests.recognition.conftest import ITEM_A, ITEM_B, ITEM_C, encode, models, pattern  # noqa: F401


@pytest.fixture
def chinese(settings):
    """The product's default language, instead of the English the rest of the suite reads."""
    settings.LANGUAGE_CODE = "zh-hans"
    return settings


@pytest.fixture
def staff(db):
    """A user in each role.  The browser tests run in transactions that the test database is
    flushed after (no serialized rollback: it cannot restore content types that another
    transactional test re-created in a different order), so the role groups the data migration
    made may be gone: make them again, as the migration does."""
    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
    sync_role_groups(Group, Permission)
    return {role: make_user(role, role) for role in ROLES} | {"nobody": make_user("nobody", None)}


PRODUCTS = [  # sku, name, category, price (fen), stock, photo pattern
    ("SNACK", "海苔脆片", "零食", 680, 30, ITEM_A),
    ("SNACK-L", "海苔脆片（大包）", "零食", 1280, 12, ITEM_A),  # looks the same: recognition is unsure
    ("TEA", "乌龙茶 500ml", "饮料", 450, 3, ITEM_B),
    ("COLA", "可口可乐 330ml", "饮料", 350, 50, None),
    ("WATER", "矿泉水", "饮料", 200, 0, None),
]


@pytest.fixture
def shop(db, engine_settings, eager_tasks, staff, django_capture_on_commit_callbacks) -> dict:  # noqa: F811
    """The whole shop (tiny models index the photos in-process, as the embedded default does)."""
    store = Store.objects.create(code="s1", name="一号店")
    made: dict[str, Product] = {}
    for sku, name, category, price, stock, seed in PRODUCTS:
        cat, _ = Category.objects.get_or_create(name=category, slug=category)
        made[sku] = catalog_services.create_product(
            sku=sku, name=name, category=cat, price_fen=price, stock=stock, source="import"
        )
        if seed is not None:
            with django_capture_on_commit_callbacks(execute=True):
                gallery_services.add_photos(
                    made[sku], [gallery_services.Upload(encode(pattern(seed)), f"{sku}.png")], actor=staff["manager"]
                )
    catalog_services.update_product(made["COLA"], price_fen=380, changed_by=staff["manager"], source="backoffice")
    customer = Customer.objects.create(app_id="wxtest", openid="o-shopper")
    now = timezone.now()
    orders = [
        paid_order(store, customer, {"COLA": 2, "TEA": 1}, now - timedelta(days=1, hours=3)),
        paid_order(store, customer, {"SNACK": 1}, now - timedelta(hours=2)),
    ]
    refund = settled_refund(orders[0], 380, now - timedelta(hours=20), requested_by=staff["owner"])
    review = make_recognition(
        store,
        customer,
        engine_result([("SNACK", 0.41, [20, 20, 150, 120])], unknown=[[170, 40, 300, 200]]),
        min_confidence=0.41,
        unknown=[{"id": 2}],
    )
    review.result["lines"][0]["boxes"][0]["candidates"].append({"label": "SNACK-L", "score": 0.4, "id": 2})
    review.save(update_fields=["result"])
    model = current_model_version()
    for name, seconds_ago in (("worker-a:101", 2), ("worker-b:202", 3600), ("worker-c:303", 3 * 86400)):
        at = now - timedelta(seconds=seconds_ago)
        GalleryWorker.objects.create(
            name=name, version=3, generation=1, entries=3, model_version=model, started_at=at, heartbeat_at=at
        )
    reconciliation = ReconciliationRun.objects.create(
        day=(now - timedelta(days=1)).date(),
        state="discrepancies",
        gross_fen=1180,
        refunds_fen=380,
        fee_fen=5,
        net_fen=795,
        checked_at=now,
        trade_bill_hash="3f786850e387550fdab836ed7e6dc881de23001b",
    )
    payment = orders[0].payments.get()
    for kind, resolution, is_open in (("amount_differs", "needs_staff", True), ("unpaid_here", "recorded_paid", False)):
        Discrepancy.objects.create(
            run=reconciliation, kind=kind, reference=payment.out_trade_no, payment=payment, wechat_fen=1100,
            local_fen=1180, wechat_state="SUCCESS", local_state="succeeded", resolution=resolution, is_open=is_open,
        )  # fmt: skip
    return {
        "store": store,
        "products": made,
        "orders": orders,
        "refund": refund,
        "review": review,
        "reconciliation": reconciliation,
    }
