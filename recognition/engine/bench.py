"""Latency benchmark of the recognition pipeline (``shitu bench`` calls ``run_bench``).

Composes a scene photo from several product photos pasted on a background (or takes one),
builds random L2-normalised galleries, and reports p50/p95 per stage over N timed runs
after warm-up, the overhead ratio total / (detector forward + feature forward), and the
same photo through a naive loop that embeds and searches one crop at a time.
"""

from __future__ import annotations

import io
import platform
import queue
import threading
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from . import postprocess, preprocess
from .images import decode_image
from .index import GalleryIndex
from .pipeline import Recognizer, RecognizerConfig

STAGES = ("decode", "det_preprocess", "det_forward", "crop_preprocess", "feature_forward", "search", "total")


def compose_scene(photos: list[np.ndarray], *, size=(1280, 960), seed: int = 0) -> np.ndarray:
    """Paste the photos (RGB uint8) on a light textured background in a loose grid; RGB uint8 (H, W, 3)."""
    rng = np.random.default_rng(seed)
    width, height = size
    scene = np.full((height, width, 3), 225, np.uint8)
    scene += rng.integers(0, 20, size=(height, width, 1), dtype=np.uint8)
    cols = int(np.ceil(np.sqrt(len(photos))))
    rows = int(np.ceil(len(photos) / cols))
    cell_w, cell_h = width // cols, height // rows
    for i, photo in enumerate(photos):
        r, c = divmod(i, cols)
        scale = min((cell_w - 40) / photo.shape[1], (cell_h - 40) / photo.shape[0])
        w, h = max(16, int(photo.shape[1] * scale)), max(16, int(photo.shape[0] * scale))
        x = c * cell_w + (cell_w - w) // 2
        y = r * cell_h + (cell_h - h) // 2
        scene[y : y + h, x : x + w] = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
    return scene


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def random_gallery(n: int, dim: int, kind: str = "flat", *, seed: int = 0, labels: int = 1000, **opts):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    gallery = GalleryIndex(dim, kind, **opts)
    gallery.add(np.arange(n, dtype=np.int64), vectors, [f"SKU{i % labels:05d}" for i in range(n)])
    return gallery


def _pct(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95))}


DEFAULT_LIMITS = {"max_pixels": 100_000_000, "max_bytes": 1 << 30}


def batched_once(recognizer: Recognizer, data: bytes, limits=DEFAULT_LIMITS) -> tuple[dict[str, float], int]:
    """One photo through the product path (decode + ``recognize``): ms per stage, crops embedded."""
    t0 = time.perf_counter()
    image = decode_image(data, **limits)
    t1 = time.perf_counter()
    timings: dict[str, float] = {}
    result = recognizer.recognize(image, timings)
    t2 = time.perf_counter()
    stages = {stage: timings[stage] for stage in STAGES[1:-1]}
    stages.update(decode=(t1 - t0) * 1e3, total=(t2 - t0) * 1e3)
    return stages, result.crops


def naive_once(recognizer: Recognizer, data: bytes, limits=DEFAULT_LIMITS) -> dict[str, float]:
    """The same photo the naive way: each crop preprocessed, embedded and searched on its own."""
    cfg, det, ext, gallery = recognizer.config, recognizer.detector, recognizer.extractor, recognizer.gallery
    t0 = time.perf_counter()
    image = decode_image(data, **limits)
    (rows,) = det.detect([image])
    size = (image.shape[1], image.shape[0])
    boxes, scores, _ = postprocess.select_boxes(
        rows,
        image_size=size,
        score_threshold=cfg.det_score_threshold,
        max_det=cfg.max_detections,
        min_size=cfg.min_box_size,
    )
    hits, forward, search = [], 0.0, 0.0
    for box in boxes:
        batch = ext.prepare([preprocess.crop(image, box)])
        a = time.perf_counter()
        feature = ext.embed_prepared(batch)
        b = time.perf_counter()
        hits.extend(gallery.search(feature, cfg.search_k))
        search += time.perf_counter() - b
        forward += b - a
    recognizer.assemble(boxes, scores, hits, size)
    total = (time.perf_counter() - t0) * 1e3
    return {"total": total, "feature_forward": forward * 1e3, "search": search * 1e3}


def time_pipeline(recognizer: Recognizer, data: bytes, *, runs: int, warmup: int, naive: bool = False) -> dict:
    """p50/p95 per stage over ``runs`` runs after ``warmup``; overhead ratio = median over runs of
    total / (detector forward + feature forward).

    With ``naive``, each iteration also runs ``naive_once`` on the same photo, alternating
    which goes first, so both see the same machine load (the host may be shared).
    """
    samples: dict[str, list[float]] = {s: [] for s in STAGES}
    naive_samples: dict[str, list[float]] = {}
    crops = 0
    for i in range(warmup + runs):
        naive_first = naive and i % 2 == 1
        nv = naive_once(recognizer, data) if naive_first else None
        stages, crops = batched_once(recognizer, data)
        if naive and not naive_first:
            nv = naive_once(recognizer, data)
        if i < warmup:
            continue
        for stage, ms in stages.items():
            samples[stage].append(ms)
        for key, ms in (nv or {}).items():
            naive_samples.setdefault(key, []).append(ms)
    stats: dict = {stage: _pct(values) for stage, values in samples.items()}
    # Ratios are taken run by run, then the median: on a shared host the load moves both
    # sides of a run together, whereas medians of separately sorted columns do not add up.
    models = np.add(samples["det_forward"], samples["feature_forward"])
    stats["overhead_ratio"] = float(np.median(np.divide(samples["total"], models)))
    stats["crops"] = crops
    if naive:
        stats["naive"] = {key: _pct(values) for key, values in naive_samples.items()}
        stats["naive_speedup"] = float(np.median(np.divide(naive_samples["total"], samples["total"])))
    return stats


def time_phone_decode(photos: list[np.ndarray], *, runs: int, max_side: int = 1600) -> dict:
    """Decode of a 4032x3024 phone-size JPEG scene: full size vs ``decode_image_scaled(max_side=...)``."""
    from .images import decode_image_scaled

    data = encode_jpeg(compose_scene(photos, size=(4032, 3024)))
    full, scaled = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        decode_image(data, **DEFAULT_LIMITS)
        t1 = time.perf_counter()
        image, _ = decode_image_scaled(data, **DEFAULT_LIMITS, max_side=max_side)
        t2 = time.perf_counter()
        full.append((t1 - t0) * 1e3)
        scaled.append((t2 - t1) * 1e3)
    return {
        "bytes": len(data),
        "max_side": max_side,
        "scaled_shape": list(image.shape[:2]),
        "full": _pct(full),
        "scaled": _pct(scaled),
    }


def run_bench(
    detector,
    extractor,
    data: bytes,
    *,
    gallery_sizes=(1000, 100_000),
    kinds=("flat",),
    runs: int = 20,
    warmup: int = 3,
    config: RecognizerConfig,
    default_k: int,
    log=print,
) -> dict:
    """Time every (gallery size, kind) with the naive loop interleaved, then once with K=default_k."""
    out: dict = {"runs": runs, "warmup": warmup, "max_det": config.max_detections, "galleries": []}
    last = None
    for size in gallery_sizes:
        for kind in kinds:
            t = time.perf_counter()
            gallery = random_gallery(size, extractor.dim, kind)
            build_s = time.perf_counter() - t
            last = Recognizer(detector, extractor, gallery, config)
            stats = time_pipeline(last, data, runs=runs, warmup=warmup, naive=True)
            stats.update(size=size, kind=kind, build_s=round(build_s, 2))
            out["galleries"].append(stats)
            log(
                f"gallery {size} {kind}: total p50 {stats['total']['p50']:.1f} ms,"
                f" ratio {stats['overhead_ratio']:.3f}, naive p50 {stats['naive']['total']['p50']:.1f} ms"
            )
    rec_k = Recognizer(detector, extractor, last.gallery, replace(config, max_detections=default_k))
    out["default_k"] = time_pipeline(rec_k, data, runs=max(3, runs // 4), warmup=1)
    out["default_k"].update(max_det=default_k, size=len(last.gallery), kind=last.gallery.kind)
    log(f"default K={default_k}: total p50 {out['default_k']['total']['p50']:.1f} ms")
    return out


def to_markdown(result: dict) -> str:
    """The figures as Markdown tables (p50 / p95, ms; overhead ratio = median of per-run ratios)."""
    lines = [
        "| gallery | kind | crops | " + " | ".join(STAGES) + " | overhead ratio |",
        "|---|---|---|" + "---|" * len(STAGES) + "---|",
    ]
    rows = [*result["galleries"], {**result["default_k"], "label": f"K={result['default_k']['max_det']}"}]
    for g in rows:
        cells = [f"{g[s]['p50']:.1f} / {g[s]['p95']:.1f}" for s in STAGES]
        name = f"{g['size']:,}" + (f" ({g['label']})" if "label" in g else "")
        lines.append(
            f"| {name} | {g['kind']} | {g['crops']} | " + " | ".join(cells) + f" | {g['overhead_ratio']:.3f} |"
        )
    lines += [
        "",
        "Same photo through the naive loop (each crop preprocessed, embedded and searched on its own),"
        " interleaved run by run with the batched pipeline:",
        "",
        "| gallery | kind | crops | batched total | naive total | naive feature forward (sum) | naive search (sum)"
        " | naive / batched (median of pairs) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for g in result["galleries"]:
        nv = g["naive"]
        lines.append(
            f"| {g['size']:,} | {g['kind']} | {g['crops']} | {g['total']['p50']:.1f} / {g['total']['p95']:.1f}"
            f" | {nv['total']['p50']:.1f} / {nv['total']['p95']:.1f} | {nv['feature_forward']['p50']:.1f}"
            f" | {nv['search']['p50']:.1f} | {g['naive_speedup']:.2f}x |"
        )
    if "phone_decode" in result:
        d = result["phone_decode"]
        lines += [
            "",
            f"Decode of a 4032x3024 JPEG ({d['bytes']:,} bytes): full size p50 {d['full']['p50']:.1f} ms /"
            f" p95 {d['full']['p95']:.1f} ms; with `SHITU_DECODE_MAX_SIDE={d['max_side']}` (decoded at"
            f" {d['scaled_shape'][1]}x{d['scaled_shape'][0]}) p50 {d['scaled']['p50']:.1f} ms"
            f" / p95 {d['scaled']['p95']:.1f} ms.",
        ]
    return "\n".join(lines) + "\n"


def cpu_model() -> str:
    """The CPU's model name, for the benchmark's machine facts."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _concurrent_round(recognize_once, clients: int) -> tuple[list[float], float, float]:
    """``clients`` threads send one photo each at the same instant: (latencies ms, wall s, CPU s).

    ``recognize_once(client)`` runs on the client's thread; latency is from the common start.
    """
    latencies: list[float] = []
    errors: list[BaseException] = []
    go = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        go.wait()
        t0 = time.perf_counter()
        try:
            recognize_once(i)
        except BaseException as exc:  # reported below, not hidden
            errors.append(exc)
        latencies.append((time.perf_counter() - t0) * 1e3)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    go.wait()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} requests failed: {errors[0]}")
    return latencies, wall, cpu


def bench_thread_models(
    build_models,
    data: bytes,
    gallery_size: int,
    config: RecognizerConfig,
    *,
    clients: int = 4,
    rounds: int = 8,
    log=print,
) -> dict:
    """The two thread models that work with oneDNN, under ``clients`` concurrent requests.

    * ``engine_thread``: one engine thread owns one set of predictors; request threads decode
      their photo and hand the recognition to it (what ``recognition.runtime`` does).
    * ``per_thread``: every request thread has its own fresh predictors (``create_predictor``).

    ``build_models()`` returns warmed-up ``Models`` for the calling thread.  The rounds of the
    two models alternate, so a shared host's load weighs on both alike; the ratios are taken
    round by round.  Also reports the memory of the first and of each further predictor set,
    CPU time per photo, and one request at a time on the engine for reference.
    """
    from .runner import EngineThread

    out: dict = {"clients": clients, "rounds": rounds}
    rss0 = rss_mb()
    engine = EngineThread(build_models)
    dim = engine.run(lambda m: m.extractor.dim)
    out["first_set_mb"] = rss_mb() - rss0
    gallery = random_gallery(gallery_size, dim)

    def on_engine(_client: int) -> None:
        image = decode_image(data, **DEFAULT_LIMITS)
        engine.run(lambda m: Recognizer(m.detector, m.extractor, gallery, config).recognize(image))

    own: dict[int, Recognizer] = {}
    rss1 = rss_mb()
    sets = threading.Barrier(clients)

    def per_thread(client: int) -> None:
        if client not in own:  # first call on this thread: build its predictors (untimed round)
            models = build_models()
            own[client] = Recognizer(models.detector, models.extractor, gallery, config)
            sets.wait()
        own[client].recognize(decode_image(data, **DEFAULT_LIMITS))

    # per_thread needs the same client threads every round: they live on, fed by a job queue.
    inbox = {i: queue.SimpleQueue() for i in range(clients)}

    def resident(i: int) -> None:
        while (job := inbox[i].get()) is not None:
            job()

    for i in range(clients):
        threading.Thread(target=resident, args=(i,), daemon=True).start()

    def on_own_thread(client: int) -> None:
        done = threading.Event()
        failure: list[BaseException] = []

        def job():
            try:
                per_thread(client)
            except BaseException as exc:
                failure.append(exc)
            done.set()

        inbox[client].put(job)
        done.wait()
        if failure:
            raise failure[0]

    _concurrent_round(on_own_thread, clients)  # builds and warms every thread's set
    out["further_set_mb"] = (rss_mb() - rss1) / clients
    _concurrent_round(on_engine, clients)
    samples: dict[str, dict[str, list[float]]] = {
        k: {"latency": [], "wall": [], "cpu": []} for k in ("single", "engine_thread", "per_thread")
    }
    for r in range(rounds):
        order = [("engine_thread", on_engine), ("per_thread", on_own_thread)]
        for name, fn in order if r % 2 == 0 else order[::-1]:
            lat, wall, cpu = _concurrent_round(fn, clients)
            samples[name]["latency"] += lat
            samples[name]["wall"].append(wall)
            samples[name]["cpu"].append(cpu)
        lat, wall, cpu = _concurrent_round(on_engine, 1)
        samples["single"]["latency"] += lat
        samples["single"]["wall"].append(wall)
        samples["single"]["cpu"].append(cpu)
        log(
            f"round {r + 1}/{rounds}: engine max {max(samples['engine_thread']['latency'][-clients:]):.0f} ms,"
            f" per-thread max {max(samples['per_thread']['latency'][-clients:]):.0f} ms"
        )
    for i in range(clients):
        inbox[i].put(None)
    engine.close()
    for name, s in samples.items():
        n = 1 if name == "single" else clients
        arr = np.asarray(s["latency"])
        out[name] = {
            "p50": float(np.percentile(arr, 50)),
            "p95": float(np.percentile(arr, 95)),
            "max": float(arr.max()),
            "photos_per_s": n * len(s["wall"]) / sum(s["wall"]),
            "cpu_ms_per_photo": 1e3 * sum(s["cpu"]) / (n * len(s["cpu"])),
        }
    eng, own_ = samples["engine_thread"], samples["per_thread"]
    out["wall_ratio_per_thread_over_engine"] = float(np.median(np.divide(own_["wall"], eng["wall"])))
    return out


def thread_models_markdown(result: dict) -> str:
    n = result["clients"]
    rows = [
        "| thread model | predictor sets | latency p50 / p95 / max (ms) | photos/s | CPU ms per photo |",
        "|---|---|---|---|---|",
    ]
    for key, name, sets in (
        ("single", "one request at a time (engine thread)", 1),
        ("engine_thread", f"one engine thread per process, {n} concurrent", 1),
        ("per_thread", f"fresh predictors per request thread, {n} concurrent", n),
    ):
        r = result[key]
        rows.append(
            f"| {name} | {sets} | {r['p50']:.0f} / {r['p95']:.0f} / {r['max']:.0f}"
            f" | {r['photos_per_s']:.2f} | {r['cpu_ms_per_photo']:.0f} |"
        )
    rows += [
        "",
        f"Wall time of a round of {n}, per-thread / engine thread (median of the rounds, which alternate):"
        f" {result['wall_ratio_per_thread_over_engine']:.2f}.",
        f"Memory: the first predictor set costs {result['first_set_mb']:.0f} MB (Paddle's runtime included),"
        f" each further set {result['further_set_mb']:.0f} MB.",
    ]
    return "\n".join(rows) + "\n"
