"""Throttles keyed by a client address that the client cannot choose.

DRF's own ``get_ident`` believes ``X-Forwarded-For`` whenever ``NUM_PROXIES`` is unset, so a
client that sends a new forged address each time is never throttled.  Here the address is
``REMOTE_ADDR`` unless the peer is one of the proxies the operator declared in
``API_TRUSTED_PROXIES`` (addresses or networks; default: none).  Only then is
``X-Forwarded-For`` read, from the nearest hop back, skipping every trusted proxy: the first
address no trusted proxy stands for is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from rest_framework import throttling

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.API_TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The client's address: the peer, or what trusted proxies say the client was."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # garbage before a trusted hop: the last trusted hop is as far as we know
        if not _trusted(hop):
            return hop
        address = hop
    return address


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle with the address above, and one bucket per kind of user."""

    def get_ident(self, request) -> str:
        return client_ip(request)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"{type(user).__name__}-{user.pk}"  # staff user 1 and customer 1 are not one client
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
