"""The web checkout page: the mini-program's flow in a phone browser or a WeChat web-view."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def checkout_page(request):
    """One page; it talks to the same JSON API as the mini-program (Bearer token in memory)."""
    return render(
        request,
        "checkout/page.html",
        {"fake_pay_url": settings.CHECKOUT_FAKE_PAY_URL, "default_store": settings.CHECKOUT_DEFAULT_STORE},
    )
