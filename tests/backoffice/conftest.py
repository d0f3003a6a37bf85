"""Fixtures for the back-office tests: staff in each role, a shop with sales, recognitions."""

from __future__ import annotations

import io
import itertools
from datetime import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import Customer
from catalog import services as catalog_services
from catalog.models import Product, Store
from checkout.models import Recognition
from orders.models import Order, Payment
from orders.services import LineRequest, create_order
from payments.paying import confirm_payment
from reports.queries import local_tz
from tests.gallery.conftest import engine_settings  # noqa: F401  (fixtures reused)
from tests.recognition.conftest import encode, models, pattern  # noqa: F401

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


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


@pytest.fixture
def shop(db) -> Store:
    store = Store.objects.create(code="s1", name="Shop One")
    for sku, name, price, stock in (
        ("COLA", "Cola 330ml", 350, 50),
        ("CHIPS", "Potato chips", 800, 3),
        ("WATER", "Mineral water", 200, 0),
        ("TEA", "Green tea", 500, 20),
    ):
        catalog_services.create_product(sku=sku, name=name, price_fen=price, stock=stock, source="import")
    return store


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(app_id="wxtest", openid="o-customer")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=local_tz())


def paid_order(store: Store, customer: Customer, lines: dict[str, int], paid_at: datetime) -> Order:
    """An order made by orders.services and paid through payments.paying.confirm_payment."""
    order = create_order(customer=customer, store=store, lines=[LineRequest(s, q) for s, q in lines.items()])
    n = next(_numbers)
    payment = Payment.objects.create(order=order, out_trade_no=f"T{n:08d}", amount_fen=order.total_fen)
    confirm_payment(payment, transaction_id=f"4200{n:016d}", paid_at=paid_at)
    order.refresh_from_db()
    return order


def jpeg(width: int = 320, height: int = 240, seed: int = 1) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pattern(seed, size=max(width, height))[:height, :width]).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def make_recognition(store: Store, customer: Customer, result: dict, **fields) -> Recognition:
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
def products(shop) -> dict[str, Product]:
    return {p.sku: p for p in Product.objects.all()}


def settled_refund(order: Order, amount_fen: int, settled_at: datetime, requested_by=None):
    """A refund row settled through payments.refunds.apply_refund_state, as WeChat's answer would."""
    from orders.models import Refund
    from payments.gateway import RefundState
    from payments.refunds import apply_refund_state

    payment = order.payments.get()
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        out_refund_no=f"R{next(_numbers):08d}",
        amount_fen=amount_fen,
        requested_by=requested_by,
    )
    apply_refund_state(
        refund,
        RefundState(
            None, refund.out_refund_no, payment.out_trade_no, f"50{refund.pk:012d}", "SUCCESS", amount_fen, settled_at
        ),
    )
    refund.refresh_from_db()
    return refund
