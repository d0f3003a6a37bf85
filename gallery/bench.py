"""``manage.py gallery_bench``: how fast the live gallery follows changes, and what 100k photos cost.

Two parts:

* live: real worker processes (a ``gallery`` and a ``recognition`` worker, started here
  unless ``--no-start-workers``) on the configured Redis and database.  For each photo:
  upload (``add_photos``, i.e. the API minus HTTP) -> time until the recognition worker's
  live gallery returns it; delete -> time until it no longer does.  The worker is asked
  with the photo's vector (computed here with the same extractor), so the timing is not
  blurred by the probe's own detector + extractor run.
* scale: N synthetic 512-d vectors stored as real ones are (product, photo and embedding
  rows), then a full reload of a LiveGallery in this process: time, memory, and the time
  to apply incremental changes.  The rows are removed afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Product, ProductImage

from . import changelog, services
from .live import LiveGallery
from .models import GalleryEmbedding
from .selectors import current_model_version

BENCH_PREFIX = "BENCH-"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine_facts() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "database": connection.vendor,
        "redis": bool(settings.REDIS_URL),
    }


# ---- live: upload -> recognisable, delete -> gone --------------------------------------------
def start_workers(
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    prefix: str = "bench",
    timeout: float = 120,
    queues: tuple[str, ...] = ("gallery", "recognition"),
) -> list[subprocess.Popen]:
    """One worker per queue (``env``, else this process's environment); waits until each says it
    is ready (consuming) in its log, which works whatever broker ``env`` names.  The benchmark,
    the integration tests and the fault tests start their workers here."""
    run = uuid.uuid4().hex[:8]
    started = []
    for queue in queues:
        name = f"{prefix}-{queue}-{run}@{platform.node()}"
        path = log_dir / f"{prefix}-{queue}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "smart_container", "worker", "-Q", queue, "-c", "1", "-n", name]
        cmd += ["--without-gossip", "--without-mingle", "-l", "INFO"]
        with path.open("wb") as log:
            proc = subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, path, f"{name} ready."))
    procs = [proc for proc, _, _ in started]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(ready in path.read_text(errors="replace") for _, path, ready in started):
            return procs
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.2)
    stop_workers(procs)
    raise RuntimeError(f"{prefix} workers did not start in {timeout:.0f} s; see {log_dir}/{prefix}-*.log")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ask(vector: np.ndarray | None = None, photo: bytes | None = None) -> dict:
    from .tasks import probe

    if vector is not None:
        return probe.delay(vector=vector.tolist(), k=3).get(timeout=60)
    return probe.delay(base64.b64encode(photo).decode(), 3).get(timeout=60)


def _wait(condition: Callable[[dict], bool], vector: np.ndarray, timeout: float = 30.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if condition(_ask(vector)):
            return time.perf_counter() - started
    raise RuntimeError(f"the recognition worker did not follow within {timeout} s")


def bench_live(photos: list[bytes], log: Callable[[str], None]) -> dict:
    """Upload each photo to its own product, wait until recognisable; delete it, wait until gone."""
    from .embedding import embed_photo

    product_ids = []
    to_visible, to_gone, to_indexed = [], [], []
    _ask(photo=photos[0])  # warm: the recognition worker loads its models and gallery
    warm_sku = f"{BENCH_PREFIX}WARM-{uuid.uuid4().hex[:6]}"
    warm = Product.objects.create(sku=warm_sku, name="bench warm-up", price_fen=1)
    product_ids.append(warm.pk)
    (added,) = services.add_photos(warm, [services.Upload(photos[0], "warm.jpg")])
    vector = embed_photo(photos[0]).vector
    _wait(lambda a: any(m["id"] == added.image.pk for m in a["matches"]), vector, timeout=120)  # gallery worker warm
    try:
        for i, data in enumerate(photos[1:], start=1):
            sku = f"{BENCH_PREFIX}{uuid.uuid4().hex[:10]}"
            product = Product.objects.create(sku=sku, name=f"bench {i}", price_fen=1)
            product_ids.append(product.pk)
            vector = embed_photo(data).vector
            (added,) = services.add_photos(product, [services.Upload(data, f"{i}.jpg")])
            uploaded = time.time()
            image_id = added.image.pk
            to_visible.append(_wait(lambda a, i=image_id: bool(a["matches"]) and a["matches"][0]["id"] == i, vector))
            indexed_at = GalleryEmbedding.objects.get(pk=image_id).indexed_at.timestamp()
            to_indexed.append(indexed_at - uploaded)
            services.remove_photo(added.image, reason="bench")
            to_gone.append(_wait(lambda a, i=image_id: all(m["id"] != i for m in a["matches"]), vector))
            log(
                f"  photo {i}: embedded after {to_indexed[-1]:.3f} s, recognisable after {to_visible[-1]:.3f} s, "
                f"gone after {to_gone[-1]:.3f} s"
            )
    finally:
        for product in Product.objects.filter(pk__in=product_ids):
            product.delete()
    return {
        "photos": len(to_visible),
        "upload_to_recognisable_p50": percentile(to_visible, 50),
        "upload_to_recognisable_p95": percentile(to_visible, 95),
        "upload_to_recognisable_max": max(to_visible),
        "upload_to_embedded_p50": percentile(to_indexed, 50),
        "embedded_to_recognisable_p50": percentile([v - e for v, e in zip(to_visible, to_indexed, strict=True)], 50),
        "delete_to_gone_p50": percentile(to_gone, 50),
        "delete_to_gone_p95": percentile(to_gone, 95),
        "delete_to_gone_max": max(to_gone),
    }


# ---- scale: 100k photos ----------------------------------------------------------------------
def _random_unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def seed_synthetic(n: int, *, photos_per_product: int = 10, dim: int = 512, log=print) -> str:
    """Store ``n`` synthetic embeddings as real ones are; returns the model version they carry."""
    model = current_model_version() or "synthetic@000000000000"
    rng = np.random.default_rng(7)
    run = uuid.uuid4().hex[:6]
    n_products = (n + photos_per_product - 1) // photos_per_product
    batch = 2000
    started = time.perf_counter()
    for start in range(0, n_products, batch):
        Product.objects.bulk_create(
            Product(sku=f"{BENCH_PREFIX}{run}-{i:07d}", name=f"synthetic {i}", price_fen=100)
            for i in range(start, min(n_products, start + batch))
        )
    products = list(Product.objects.filter(sku__startswith=f"{BENCH_PREFIX}{run}-").order_by("sku").values_list("pk"))
    now = timezone.now()
    for start in range(0, n, batch):
        count = min(batch, n - start)
        images = ProductImage.objects.bulk_create(
            ProductImage(
                product_id=products[(start + j) // photos_per_product][0],
                image=f"bench/{run}/{start + j}.jpg",
                width=640,
                height=640,
                sha256=hashlib.sha256(f"{run}{start + j}".encode()).hexdigest(),
            )
            for j in range(count)
        )
        vectors = _random_unit_vectors(rng, count, dim)
        GalleryEmbedding.objects.bulk_create(
            GalleryEmbedding(
                image_id=image.pk,
                status=GalleryEmbedding.Status.INDEXED,
                vector=vectors[j].astype("<f4").tobytes(),
                dim=dim,
                model_version=model,
                indexed_at=now,
            )
            for j, image in enumerate(images)
        )
        if (start // batch) % 10 == 0:
            log(f"  stored {start + count} / {n} synthetic photos ({time.perf_counter() - started:.0f} s)")
    changelog.bump_generation()  # a bulk import: every live gallery reloads
    return model


def remove_synthetic() -> None:
    """Drop the bench rows in bulk (no per-photo change log: a new generation reloads every worker)."""
    with transaction.atomic(), connection.cursor() as cursor:
        bench = f"{BENCH_PREFIX}%"
        images = (
            "SELECT i.id FROM catalog_productimage i JOIN catalog_product p ON p.id = i.product_id WHERE p.sku LIKE %s"
        )
        cursor.execute(f"DELETE FROM gallery_galleryembedding WHERE image_id IN ({images})", [bench])
        cursor.execute(f"DELETE FROM catalog_productimage WHERE id IN ({images})", [bench])
        cursor.execute(
            "DELETE FROM catalog_pricechange WHERE product_id IN (SELECT id FROM catalog_product WHERE sku LIKE %s)",
            [bench],
        )
        cursor.execute("DELETE FROM catalog_product WHERE sku LIKE %s", [bench])
    changelog.bump_generation()


def bench_scale(n: int, *, changes: int = 200, log=print) -> dict:
    seed_started = time.perf_counter()
    model = seed_synthetic(n, log=log)
    seeded = time.perf_counter() - seed_started
    try:
        rss_before = rss_mb()
        live = LiveGallery(model)
        started = time.perf_counter()
        live.reload()
        reload_s = time.perf_counter() - started
        rss_after = rss_mb()
        entries = len(live.index)

        rng = np.random.default_rng(11)
        queries = _random_unit_vectors(rng, 64, live.index.dim)
        started = time.perf_counter()
        for q in queries:
            live.index.search(q[None, :], 20)
        search_ms = (time.perf_counter() - started) / len(queries) * 1e3

        # Incremental: add `changes` photos to one product, then remove them; apply each batch.
        product = Product.objects.filter(sku__startswith=BENCH_PREFIX).first()
        apply_one, added_ids = [], []
        for i in range(20):  # one change at a time: the common case
            image = ProductImage.objects.create(
                product=product, image=f"bench/one/{i}.jpg", sha256=hashlib.sha256(f"one{i}".encode()).hexdigest()
            )
            GalleryEmbedding.objects.create(image=image)
            services.store_embedding(image.pk, _random_unit_vectors(rng, 1, live.index.dim)[0], model)
            added_ids.append(image.pk)
            started = time.perf_counter()
            live.apply_changes()
            apply_one.append(time.perf_counter() - started)
        for i in range(changes):
            image = ProductImage.objects.create(
                product=product, image=f"bench/many/{i}.jpg", sha256=hashlib.sha256(f"many{i}".encode()).hexdigest()
            )
            GalleryEmbedding.objects.create(image=image)
            services.store_embedding(image.pk, _random_unit_vectors(rng, 1, live.index.dim)[0], model)
        started = time.perf_counter()
        applied = live.apply_changes()
        apply_batch = time.perf_counter() - started
        assert len(live.index) == entries + 20 + changes, "incremental apply lost entries"
        return {
            "photos": entries,
            "seed_seconds": seeded,
            "reload_seconds": reload_s,
            "rss_increase_mb": rss_after - rss_before,
            "vector_bytes_mb": entries * live.index.dim * 4 / 2**20,
            "search_ms_k20": search_ms,
            "apply_one_change_ms_p50": percentile(apply_one, 50) * 1e3,
            "apply_one_change_ms_p95": percentile(apply_one, 95) * 1e3,
            "apply_batch_changes": applied,
            "apply_batch_ms_per_change": apply_batch / max(applied, 1) * 1e3,
        }
    finally:
        remove_synthetic()
