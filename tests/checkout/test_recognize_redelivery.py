"""A redelivered recognition task (acks_late) never overwrites a cart another delivery already finished."""

from __future__ import annotations

import pytest

from checkout import services
from checkout.models import Recognition
from checkout.recognize import run_recognition
from tests.recognition.conftest import encode, scene

pytestmark = pytest.mark.django_db


class _Result:
    def to_dict(self) -> dict:
        return {"lines": [], "unknown": []}


def test_a_late_second_delivery_keeps_the_finished_cart(customer, store, settings, tmp_path, monkeypatch):
    from gallery import live
    from recognition import runtime

    settings.MEDIA_ROOT = tmp_path / "media"
    recognition = services.create_recognition(customer=customer, store=store, data=encode(scene()))
    corrected = [{"sku": "SC0001", "quantity": 3, "boxes": [], "source": "added"}]

    def first_delivery_finishes_meanwhile(data, gallery):
        Recognition.objects.filter(pk=recognition.pk).update(status="done", lines=corrected, corrected=True)
        return _Result()

    monkeypatch.setattr(live, "current_gallery", lambda: None)
    monkeypatch.setattr(runtime, "recognize_bytes", first_delivery_finishes_meanwhile)
    assert run_recognition(str(recognition.pk)) == "done"
    recognition.refresh_from_db()
    assert recognition.lines == corrected and recognition.corrected
