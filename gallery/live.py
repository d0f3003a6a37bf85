"""The live gallery: one faiss index per process, kept in step with the database.

``current_gallery()`` loads the index from the database on first use, then a background
thread keeps it current: every ``GALLERY_SYNC_INTERVAL_MS`` it reads the gallery head
(version, generation) from the cache, and every ``GALLERY_DB_CHECK_SECONDS`` from the
database itself.  A newer version is applied incrementally (the change log says which
photos changed; the database says what they are now), under the index's brief write
lock, so searches never wait for more than one faiss ``add``.  A new generation
(compaction, repair) or a large backlog is a full reload built beside the serving index
and swapped in.  Each process reports what it serves in ``GalleryWorker``.

Every process serves only the vectors made by its own extractor (``model_version``), so
workers on an old and a new model can run side by side during an upgrade.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import numpy as np
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from recognition import conf
from recognition.engine.index import GalleryIndex

from . import changelog
from .models import GalleryChange, GalleryWorker
from .selectors import current_model_version, membership_checksum, servable

logger = logging.getLogger(__name__)

DEFAULT_DIM = 512
FETCH_CHUNK = 2000


class LiveGallery:
    """A process's index plus the (version, generation) it reflects."""

    def __init__(self, model_version: str):
        self.model_version = model_version
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self.index = self._empty(DEFAULT_DIM)
        self.version = 0
        self.generation = 0
        self._sync_lock = threading.Lock()
        self._last_cache_check = 0.0
        self._last_db_check = 0.0
        self._reported: tuple[int, int] | None = None
        self._last_report = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cache_error: str | None = None  # why the last head read from the cache failed

    def _empty(self, dim: int) -> GalleryIndex:
        return GalleryIndex(dim, version=self.model_version, **conf.gallery_options())

    # ---- full load ----------------------------------------------------------------------
    def reload(self) -> None:
        """Build a fresh index from the database beside the serving one, then swap it in."""
        started = time.perf_counter()
        head = changelog.read_head(from_db=True)  # read before the rows: later changes get re-applied
        ids, labels, vectors = self._fetch(servable(self.model_version))
        index = self._empty(vectors.shape[1] if len(vectors) else self.index.dim)
        if len(ids):
            index.add(ids, vectors, labels)
        self.index, self.version, self.generation = index, head.version, head.generation
        logger.info(
            "gallery %s: loaded %d photos at v%d gen %d in %.0f ms",
            self.name,
            len(index),
            head.version,
            head.generation,
            (time.perf_counter() - started) * 1e3,
        )

    @staticmethod
    def _fetch(queryset) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(ids, labels, vectors) of the embeddings in ``queryset``, streamed into one preallocated array."""
        rows = queryset.values_list("image_id", "image__product__sku", "dim", "vector")
        ids: list[int] = []
        labels: list[str] = []
        vectors = np.zeros((0, 0), np.float32)
        for image_id, sku, dim, vector in rows.iterator(chunk_size=FETCH_CHUNK):
            if len(ids) == len(vectors):  # grow geometrically: no per-row copies, no second full copy
                grown = np.empty((max(FETCH_CHUNK, 2 * len(vectors)), dim), np.float32)
                if len(vectors):
                    grown[: len(vectors)] = vectors
                vectors = grown
            vectors[len(ids)] = np.frombuffer(vector, dtype="<f4", count=dim)
            ids.append(image_id)
            labels.append(sku)
        return np.asarray(ids, dtype=np.int64), labels, vectors[: len(ids)]

    # ---- incremental ----------------------------------------------------------------------
    def apply_changes(self) -> int:
        """Apply the change log after ``self.version``; returns how many changes were read."""
        changes = list(
            GalleryChange.objects.filter(version__gt=self.version)
            .order_by("version")
            .values_list("version", "image_id")[: settings.GALLERY_MAX_INCREMENTAL + 1]
        )
        if not changes:
            return 0
        if len(changes) > settings.GALLERY_MAX_INCREMENTAL:
            self.reload()
            return len(changes)
        touched = {image_id for _, image_id in changes}
        ids, labels, vectors = self._fetch(servable(self.model_version).filter(image_id__in=touched))
        gone = touched - set(ids.tolist())
        if len(ids) and vectors.shape[1] != self.index.dim:
            if len(self.index):
                raise RuntimeError(f"{vectors.shape[1]}-d vectors for a {self.index.dim}-d gallery")
            self.index = self._empty(vectors.shape[1])
        if gone:
            self.index.remove(gone)
        if len(ids):
            self.index.add(ids, vectors, labels)
        self.version = changes[-1][0]
        return len(changes)

    def refresh(self, *, force: bool = False) -> bool:
        """Catch up with the database if the head moved; returns True if anything changed."""
        now = time.monotonic()
        interval = settings.GALLERY_SYNC_INTERVAL_MS / 1000
        if not force and now - self._last_cache_check < interval:
            return False
        if not self._sync_lock.acquire(blocking=force):
            return False  # another thread is syncing: search what is there rather than wait
        try:
            self._last_cache_check = now
            from_db = force or now - self._last_db_check >= settings.GALLERY_DB_CHECK_SECONDS
            if from_db:
                self._last_db_check = now
            try:
                head = changelog.read_head(from_db=from_db)
            except Exception as exc:  # the cache is down or frozen: the database has the head too
                self.cache_error = f"{type(exc).__name__}: {exc}"
                head = changelog.read_head(from_db=True)
            else:
                if not from_db:
                    self.cache_error = None
            changed = reloaded = False
            if head.generation != self.generation:
                self.reload()
                changed = reloaded = True
            elif head.version > self.version:
                changed = self.apply_changes() > 0
            self.report(force=changed, checksum=reloaded)
            return changed
        finally:
            self._sync_lock.release()

    # ---- reporting ----------------------------------------------------------------------
    def checksum(self) -> str:
        return membership_checksum(self.index.labels.items())

    def report(self, *, force: bool = False, checksum: bool = False) -> None:
        """Heartbeat: what this process serves, for the status page and the consistency check.

        The version is written at once on a change; the checksum (tens of ms at 100k photos)
        at most once per heartbeat period, with the version it describes.
        """
        now = time.monotonic()
        state = (self.version, self.generation)
        due = now - self._last_report >= settings.GALLERY_HEARTBEAT_SECONDS
        if not force and state == self._reported and not due:
            return
        fields = {
            "version": self.version,
            "generation": self.generation,
            "model_version": self.model_version,
            "entries": len(self.index),
            "started_at": self.started_at,
            "heartbeat_at": timezone.now(),
        }
        if checksum or due or self._reported is None:
            fields.update(checksum=self.checksum(), checksum_version=self.version)
            self._last_report = now
        GalleryWorker.objects.update_or_create(name=self.name, defaults=fields)
        self._reported = state

    # ---- background sync ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="gallery-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        """Sync every interval; while the cache or the database fails, back off (doubling up to
        ``GALLERY_SYNC_MAX_BACKOFF_SECONDS``) and log once per change of state, not per attempt."""
        interval = settings.GALLERY_SYNC_INTERVAL_MS / 1000
        wait, state, since = interval, "ok", time.monotonic()
        while not self._stop.wait(wait):
            error = None
            try:
                self.refresh()
            except Exception as exc:
                error = exc
            finally:
                close_old_connections()
            if error is not None:
                new_state, detail = f"failing ({type(error).__name__})", f"{type(error).__name__}: {error}"
            elif self.cache_error is not None:
                new_state, detail = "reading the head from the database (cache failing)", self.cache_error
            else:
                new_state, detail = "ok", ""
            if new_state != state:
                took = time.monotonic() - since
                if new_state == "ok":
                    logger.warning("gallery %s: sync ok again after %.1f s", self.name, took)
                else:
                    logger.warning(
                        "gallery %s: sync %s; backing off: %s", self.name, new_state, detail[:300], exc_info=error
                    )
                state, since = new_state, time.monotonic()
            backoff = settings.GALLERY_SYNC_MAX_BACKOFF_SECONDS
            wait = interval if state == "ok" else min(backoff, max(wait, interval, 0.1) * 2)
        connections.close_all()  # this thread's own connections


_lock = threading.Lock()
_live: LiveGallery | None = None


def live_gallery() -> LiveGallery:
    """This process's LiveGallery, loaded on first use (and again in a forked child)."""
    global _live
    with _lock:
        if _live is None or _live.pid != os.getpid():
            live = LiveGallery(current_model_version())
            live.reload()
            live.report(force=True)
            if settings.GALLERY_SYNC_THREAD:
                live.start()
            _live = live
        return _live


def current_gallery() -> GalleryIndex:
    """The index to search now.  Never blocks on a gallery change (sync runs in the background).

    Without the background thread (``GALLERY_SYNC_THREAD=False``) the caller catches up
    inline, at most every ``GALLERY_SYNC_INTERVAL_MS``.
    """
    live = live_gallery()
    if live._thread is None:
        live.refresh()
    return live.index


def reset() -> None:
    """Forget this process's live gallery (tests; after changing settings)."""
    global _live
    with _lock:
        if _live is not None:
            _live.stop()
        _live = None
