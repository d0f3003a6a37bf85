"""Checkout tasks; ``recognize_photo`` runs on the ``recognition`` queue, where the models live."""

from __future__ import annotations

from celery import shared_task

from .recognize import run_recognition


@shared_task(name="checkout.tasks.recognize_photo", acks_late=True)
def recognize_photo(recognition_id: str) -> str:
    return run_recognition(recognition_id)
