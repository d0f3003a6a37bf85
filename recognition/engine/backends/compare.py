"""Backends side by side: the same photo through each backend's whole pipeline, interleaved.

Each backend runs in its own child process (``spawn``), so one runtime's thread pool never
spins on the cores while another's runs (Paddle's OpenMP threads keep spinning after a
pass; OpenVINO has its own TBB pool), and each process looks like a production worker
that uses one backend.  The parent asks one child at a time for one photo, rotating which
goes first, so all of them see the same machine load; ratios are taken run by run against
the reference (Paddle) and then the median.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from dataclasses import asdict

import numpy as np

from ..bench import STAGES, _pct, batched_once, random_gallery
from ..index import set_search_threads
from ..models import InferenceOptions
from ..pipeline import Recognizer, RecognizerConfig
from . import PADDLE, build_for

RATIO_STAGES = ("det_forward", "feature_forward", "total")


def _worker(conn, backend, det_dir, rec_dir, options: dict, config: dict, gallery: tuple, data: bytes):
    gallery_size, kind, search_threads = gallery
    set_search_threads(search_threads)
    try:
        detector = build_for("detector", backend, det_dir, InferenceOptions(**options))
        extractor = build_for("extractor", backend, rec_dir, InferenceOptions(**options))
        gallery = random_gallery(gallery_size, extractor.dim, kind)
        recognizer = Recognizer(detector, extractor, gallery, RecognizerConfig(**config))
        conn.send(
            ("ready", {"detector": detector.backend, "extractor": extractor.backend, "version": extractor.version})
        )
    except Exception as exc:  # reported to the parent, which names the backend
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while conn.recv() == "run":
        stages, crops = batched_once(recognizer, data)
        conn.send((stages, crops))


def compare_backends(
    backends: list[str],
    det_dir,
    rec_dir,
    data: bytes,
    *,
    options: InferenceOptions,
    config: RecognizerConfig,
    gallery_size: int = 1000,
    kind: str = "flat",
    search_threads: int = 1,
    runs: int = 20,
    warmup: int = 3,
    log=print,
) -> dict:
    """p50/p95 per stage per backend and, per backend, the median per-run ratio to Paddle."""
    if PADDLE not in backends:
        backends = [PADDLE, *backends]
    ctx = mp.get_context("spawn")
    gallery = (gallery_size, kind, search_threads)
    children = {}
    try:
        for backend in backends:
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=_worker,
                args=(
                    child,
                    backend,
                    str(det_dir),
                    str(rec_dir),
                    asdict(options),
                    asdict(config),
                    gallery,
                    data,
                ),
                daemon=True,
            )
            proc.start()
            children[backend] = (proc, parent)
        info = {}
        for backend, (_, conn) in children.items():
            status, detail = conn.recv()
            if status == "error":
                raise RuntimeError(f"backend {backend}: {detail}")
            info[backend] = detail
        samples = {b: {s: [] for s in STAGES} for b in backends}
        crops = {}
        for i in range(warmup + runs):
            order = backends[i % len(backends) :] + backends[: i % len(backends)]
            for backend in order:
                conn = children[backend][1]
                conn.send("run")
                stages, crops[backend] = conn.recv()
                if i >= warmup:
                    for stage in STAGES:
                        samples[backend][stage].append(stages[stage])
    finally:
        for proc, conn in children.values():
            with contextlib.suppress(OSError):
                conn.send("stop")
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    out = {"runs": runs, "warmup": warmup, "gallery": {"size": gallery_size, "kind": kind}, "backends": {}}
    for backend in backends:
        stats = {stage: _pct(samples[backend][stage]) for stage in STAGES}
        stats["ratio_to_paddle"] = {
            stage: float(np.median(np.divide(samples[backend][stage], samples[PADDLE][stage])))
            for stage in RATIO_STAGES
        }
        stats.update(crops=crops[backend], **info[backend])
        out["backends"][backend] = stats
        log(
            f"backend {backend}: total p50 {stats['total']['p50']:.1f} ms,"
            f" {stats['ratio_to_paddle']['total']:.3f}x paddle"
        )
    return out


def to_markdown(result: dict) -> str:
    backends = list(result["backends"])
    lines = [
        "| stage | "
        + " | ".join(f"{b} p50 / p95 (ms)" for b in backends)
        + " | "
        + " | ".join(f"{b} / paddle" for b in backends if b != PADDLE)
        + " |",
        "|---|" + "---|" * (2 * len(backends) - 1),
    ]
    for stage in STAGES:
        cells = [
            f"{result['backends'][b][stage]['p50']:.1f} / {result['backends'][b][stage]['p95']:.1f}" for b in backends
        ]
        ratios = []
        for b in backends:
            if b == PADDLE:
                continue
            r = result["backends"][b]["ratio_to_paddle"].get(stage)
            ratios.append(f"{r:.3f}" if r is not None else "")
        lines.append(f"| {stage} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    crops = ", ".join(f"{b} {result['backends'][b]['crops']}" for b in backends)
    lines += [
        "",
        f"Crops per photo: {crops}. Ratios are medians of per-run ratios (each run: every backend once,"
        f" in rotating order, each in its own process); {result['runs']} runs after {result['warmup']} warm-up,"
        f" gallery {result['gallery']['size']:,} {result['gallery']['kind']}.",
    ]
    return "\n".join(lines) + "\n"
