"""Prove a backend equal to the Paddle reference on the same inputs, and time both.

Equal means: features with cosine >= ``FEATURE_COSINE`` to Paddle's; detections with the same
rows in the same order, the same classes, scores within ``SCORE_TOL`` and box corners within
``BOX_PX`` pixels.  The inputs are synthetic photos made here (a product-like grid, a busy
photo, smooth gradients, a flat grey one whose equal scores test the tie order of NMS) at
several sizes, so the check needs no data set and runs the same everywhere.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

FEATURE_COSINE = 0.9999
SCORE_TOL = 1e-4
BOX_PX = 0.5


def check_images(seed: int = 0) -> list[np.ndarray]:
    """Deterministic RGB uint8 photos of several sizes and kinds."""
    rng = np.random.default_rng(seed)
    grid = np.kron(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), np.ones((160, 160, 1), np.uint8))  # 960x1280
    busy = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:500, 0:300]
    gradient = np.stack([xx * 255 // 299, yy * 255 // 499, (xx + yy) % 256], axis=-1).astype(np.uint8)
    flat = np.full((480, 640, 3), 127, np.uint8)
    return [grid, busy, gradient, flat]


@dataclass
class CheckResult:
    """One model on one backend against Paddle: equal or not (and the worst difference), times."""

    model: str  # "detector" or "extractor"
    backend: str
    equal: bool
    detail: str
    worst: dict = field(default_factory=dict)
    reference_ms: float = 0.0
    backend_ms: float = 0.0
    ratio: float = 0.0  # median over interleaved pairs of backend / reference

    def to_dict(self) -> dict:
        return asdict(self)


def compare_detections(reference: list[np.ndarray], candidate: list[np.ndarray]) -> tuple[bool, str, dict]:
    worst = {"score": 0.0, "box_px": 0.0}
    for i, (a, b) in enumerate(zip(reference, candidate, strict=True)):
        if a.shape != b.shape:
            return False, f"image {i}: {len(a)} rows vs {len(b)}", worst
        if len(a) == 0:
            continue
        if not np.array_equal(a[:, 0], b[:, 0]):
            return False, f"image {i}: classes differ", worst
        score, box = float(np.abs(a[:, 1] - b[:, 1]).max()), float(np.abs(a[:, 2:] - b[:, 2:]).max())
        worst = {"score": max(worst["score"], score), "box_px": max(worst["box_px"], box)}
        if score > SCORE_TOL or box > BOX_PX:
            row = int(np.argmax(np.maximum(np.abs(a[:, 1] - b[:, 1]) / SCORE_TOL, np.abs(a[:, 2:] - b[:, 2:]).max(1))))
            return False, f"image {i} row {row}: {a[row].tolist()} vs {b[row].tolist()}", worst
    return True, f"same rows, scores within {worst['score']:.1e}, boxes within {worst['box_px']:.1e} px", worst


def compare_features(reference: np.ndarray, candidate: np.ndarray) -> tuple[bool, str, dict]:
    if reference.shape != candidate.shape:
        return False, f"shapes {reference.shape} vs {candidate.shape}", {}
    cosine = float((reference * candidate).sum(axis=1).min())
    ok = cosine >= FEATURE_COSINE
    return ok, f"cosine >= {cosine:.6f}" + ("" if ok else f" (needs {FEATURE_COSINE})"), {"min_cosine": cosine}


def _interleaved(reference, candidate, runs: int) -> tuple[float, float, float]:
    """Median ms of each and median of per-pair ratios, alternating who goes first."""
    ref, new = [], []
    for i in range(runs):
        for fn, out in ((reference, ref), (candidate, new)) if i % 2 == 0 else ((candidate, new), (reference, ref)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1e3)
    return float(np.median(ref)), float(np.median(new)), float(np.median(np.divide(new, ref)))


def verify_detector(reference, candidate, *, runs: int = 5, images=None) -> CheckResult:
    images = check_images() if images is None else images
    ref = [reference.detect([img])[0] for img in images]
    new = [candidate.detect([img])[0] for img in images]
    equal, detail, worst = compare_detections(ref, new)
    ref_in, new_in = reference.prepare([images[0]]), candidate.prepare([images[0]])  # each its own input format
    times = _interleaved(
        lambda: reference.detect_prepared(ref_in, 1), lambda: candidate.detect_prepared(new_in, 1), runs
    )
    return CheckResult("detector", getattr(candidate, "backend", "?"), equal, detail, worst, *times)


def verify_extractor(reference, candidate, *, runs: int = 5, images=None, batch: int = 5) -> CheckResult:
    images = check_images() if images is None else images
    crops = [img[: max(16, img.shape[0] // (k + 1)), k * 7 :] for k, img in enumerate(images * 2)][: max(batch, 8)]
    equal, detail, worst = compare_features(reference.embed(crops), candidate.embed(crops))
    ref_in, new_in = reference.prepare(crops[:batch]).copy(), candidate.prepare(crops[:batch]).copy()
    times = _interleaved(lambda: reference.embed_prepared(ref_in), lambda: candidate.embed_prepared(new_in), runs)
    return CheckResult("extractor", getattr(candidate, "backend", "?"), equal, detail, worst, *times)
