"""Gallery versions: contiguous and in commit order even when writers race (PostgreSQL row lock)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections

from gallery import changelog
from gallery.changelog import Entry
from gallery.models import GalleryChange, GalleryState

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_writers_get_contiguous_versions():
    if connection.vendor != "postgresql":
        pytest.skip("threads sharing one database need PostgreSQL (SQLite serialises writers anyway)")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                changelog.append([Entry("add", n * 100 + i, f"SKU{n}")], reason="race")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    versions = list(GalleryChange.objects.order_by("version").values_list("version", flat=True))
    assert versions == list(range(1, 61))
    assert GalleryState.objects.get().version == 60
    assert changelog.read_head(from_db=True).version == 60


def test_published_head_never_goes_back():
    cache.clear()
    changelog.publish(changelog.Head(version=7, generation=2))
    changelog.publish(changelog.Head(version=5, generation=2))  # a late, older publication
    assert changelog.read_head() == changelog.Head(7, 2)
    changelog.publish(changelog.Head(version=1, generation=3))  # a new generation wins
    assert changelog.read_head() == changelog.Head(1, 3)
