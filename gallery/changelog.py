"""The gallery version: appending to the change log and telling every process about it.

Each change gets the next version under a row lock on ``GalleryState`` taken in the
transaction that makes the change, so versions commit in order and no reader can see
version N+1 without N.  After the commit the new head is written to the cache (Redis in
production), which every live gallery polls cheaply; the database stays the authority
when the cache is cold or was flushed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from .models import GalleryChange, GalleryState

HEAD_CACHE_KEY = "gallery:head"


@dataclass(frozen=True)
class Head:
    version: int
    generation: int


@dataclass(frozen=True)
class Entry:
    op: str  # GalleryChange.Op
    image_id: int
    label: str


def lock_state() -> GalleryState:
    """The state row, locked until the surrounding transaction ends."""
    state = GalleryState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        GalleryState.objects.get_or_create(pk=1)
        state = GalleryState.objects.select_for_update().get(pk=1)
    return state


def append(entries: Iterable[Entry], *, actor=None, reason: str = "") -> int | None:
    """Log ``entries`` as the next versions; returns the last version (None if no entries).

    Must run inside the transaction that makes the change, so both commit or neither does.
    """
    entries = list(entries)
    if not entries:
        return None
    with transaction.atomic():
        state = lock_state()
        rows = [
            GalleryChange(
                version=state.version + i,
                op=entry.op,
                image_id=entry.image_id,
                label=entry.label,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                reason=reason[:200],
            )
            for i, entry in enumerate(entries, start=1)
        ]
        GalleryChange.objects.bulk_create(rows)
        state.version += len(rows)
        state.save(update_fields=["version"])
        head = Head(state.version, state.generation)
        transaction.on_commit(lambda: publish(head), robust=True)
    return head.version


def bump_generation() -> Head:
    """Make every live gallery reload from the database (after compaction or a repair)."""
    from django.utils import timezone

    with transaction.atomic():
        state = lock_state()
        state.generation += 1
        state.compacted_at = timezone.now()
        state.save(update_fields=["generation", "compacted_at"])
        head = Head(state.version, state.generation)
        transaction.on_commit(lambda: publish(head), robust=True)
    return head


def publish(head: Head) -> None:
    """Tell the processes; a newer head already published is never overwritten by an older one."""
    current = cache.get(HEAD_CACHE_KEY)
    if current is None or (current[1], current[0]) <= (head.generation, head.version):
        cache.set(HEAD_CACHE_KEY, (head.version, head.generation), timeout=None)


def read_head(*, from_db: bool = False) -> Head:
    """The newest committed head: the cache's copy (cheap) or the database's.

    A failing cache read raises (the caller can fall back to ``from_db``); after a database
    read, refreshing the cache's copy is best effort: the database is the authority.
    """
    if not from_db:
        cached = cache.get(HEAD_CACHE_KEY)
        if cached is not None:
            return Head(int(cached[0]), int(cached[1]))
    state = GalleryState.objects.filter(pk=1).values_list("version", "generation").first()
    head = Head(*state) if state else Head(0, 1)
    with contextlib.suppress(Exception):  # cache down: the next reader asks the database too
        cache.set(HEAD_CACHE_KEY, (head.version, head.generation), timeout=None)
    return head
