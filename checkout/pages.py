"""The web checkout page: the mini-program's flow in a phone browser or a WeChat web-view."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def checkout_page(request):
    """One page; its script (checkout/static/checkout/checkout.js) talks to the same JSON API as
    the mini-program, with the Bearer token in sessionStorage.  Its text comes from /jsi18n/."""
    config = {
        "api": "/api/v1",
        "store": settings.CHECKOUT_DEFAULT_STORE,
        "fake_pay_url": settings.CHECKOUT_FAKE_PAY_URL,
    }
    return render(request, "checkout/page.html", {"page_config": config})
