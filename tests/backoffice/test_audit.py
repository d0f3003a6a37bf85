"""The audit log merges price changes, refunds and gallery edits into one timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog import services as catalog_services
from gallery import changelog
from gallery.changelog import Entry
from tests.backoffice.conftest import paid_order, settled_refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(products, shop, customer, staff):
    catalog_services.set_price(products["COLA"], 380, changed_by=staff["manager"], source="backoffice")
    order = paid_order(shop, customer, {"TEA": 1}, timezone.now() - timedelta(hours=1))
    refund = settled_refund(order, 200, timezone.now(), requested_by=staff["owner"])
    changelog.append([Entry("remove", 4242, "TEA")], actor=staff["manager"], reason="photo deleted")
    return {"order": order, "refund": refund}


def test_timeline_holds_all_three_kinds_newest_first(login, history):
    response = login("manager").get(reverse("backoffice:audit"))
    entries = response.context["entries"]
    kinds = [e.kind for e in entries]
    assert kinds.count("price") == 5  # 4 first prices from the import + the manager's change
    assert kinds.count("refund") == 1 and kinds.count("gallery") == 1
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    change = next(e for e in entries if e.kind == "price" and e.who == "manager")
    assert (change.subject, change.old_fen, change.new_fen) == ("COLA", 350, 380)
    refund = next(e for e in entries if e.kind == "refund")
    assert (refund.order_id, refund.new_fen, refund.who) == (history["order"].pk, 200, "owner")
    gallery = next(e for e in entries if e.kind == "gallery")
    assert (gallery.subject, gallery.who, gallery.note, gallery.ref) == (
        "TEA",
        "manager",
        "photo deleted",
        "remove photo #4242",
    )
    page = response.content.decode()
    assert reverse("backoffice:order", args=[history["order"].pk]) in page  # refunds link to the order


def test_filters(login, history):
    client = login("owner")

    def kinds(**params):
        return sorted(e.kind for e in client.get(reverse("backoffice:audit"), params).context["entries"])

    assert kinds(kind="refund") == ["refund"]
    assert kinds(actor="manager") == ["gallery", "price"]
    assert kinds(subject="COLA") == ["price", "price"]
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert kinds(since=tomorrow) == []


def test_pagination_counts_and_slices_in_sql(login, products, staff):
    for price in range(100, 160):
        catalog_services.set_price(products["TEA"], price, changed_by=staff["manager"])
    client = login("owner")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("backoffice:audit"), {"page": 2})
    page = response.context["page_obj"]
    assert page.paginator.count == 64 and len(response.context["entries"]) == 14
    assert len(ctx.captured_queries) < 12
