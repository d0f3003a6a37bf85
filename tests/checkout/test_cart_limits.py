"""Cart corrections never grow a line past what an order line may hold."""

from __future__ import annotations

import pytest

from checkout.models import Recognition
from orders.services import MAX_QUANTITY

pytestmark = pytest.mark.django_db


def test_adding_to_a_full_line_is_refused(api, customer, store, products):
    line = {"sku": "SC0001", "quantity": MAX_QUANTITY, "boxes": [], "source": "added"}
    recognition = Recognition.objects.create(
        customer=customer, store=store, photo="r.jpg", status=Recognition.Status.DONE, lines=[line]
    )
    response = api.post(f"/api/v1/checkout/recognitions/{recognition.pk}/lines", {"sku": "SC0001"}, format="json")
    assert response.status_code == 400
    assert f"at most {MAX_QUANTITY}" in response.json()["error"]["message"]
    recognition.refresh_from_db()
    assert recognition.lines[0]["quantity"] == MAX_QUANTITY and not recognition.corrected
