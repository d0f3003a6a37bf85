"""Latency benchmark of the recognition pipeline (``shitu bench`` calls ``run_bench``).

Composes a scene photo from several product photos pasted on a background (or takes one),
builds random L2-normalised galleries, and reports p50/p95 per stage over N timed runs
after warm-up, the overhead ratio total / (detector forward + feature forward), and the
same photo through a naive loop that embeds and searches one crop at a time.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image

from . import postprocess, preprocess
from .gallery import GalleryIndex
from .images import decode_image
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
        batch = preprocess.extractor_batch([preprocess.crop(image, box)])
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
    config: RecognizerConfig | None = None,
    default_k: int = 30,
    log=print,
) -> dict:
    """Time every (gallery size, kind) with the naive loop interleaved, then once with K=default_k."""
    config = config or RecognizerConfig()
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
