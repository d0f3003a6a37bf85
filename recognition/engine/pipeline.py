"""``Recognizer``: photo -> detector boxes -> batched crop embeddings -> one gallery search -> cart lines."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from . import postprocess, preprocess


@dataclass
class RecognizerConfig:
    """Every threshold of the checkout pipeline.  No defaults here: the product's are the
    ``SHITU_*`` settings (``recognition.conf.recognizer_config()``), written once in settings.py."""

    det_score_threshold: float  # detector score to keep a box
    max_detections: int  # K: at most this many boxes per photo (a full basket, not 5)
    min_box_size: float  # pixels; smaller boxes (after clamping) are dropped
    match_threshold: float  # inner product (cosine) to accept the best gallery match
    unsure_margin: float  # best - runner-up (another label) below this flags the box "unsure"
    top_k: int  # distinct candidate labels reported per box
    search_k: int  # gallery neighbours fetched per crop (several images per product)
    dedupe_iou: float  # same-product boxes overlapping more than this are one item


@dataclass
class Candidate:
    label: str
    score: float
    id: int  # gallery id of the best-matching image of that label


@dataclass
class BoxMatch:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in original pixels (clamped)
    score: float  # match score (inner product with the best gallery vector of the label)
    det_score: float  # detector score (0 for the whole-image fallback)
    unsure: bool  # the runner-up label is within ``unsure_margin``: offer the alternatives
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class RecognizedLine:
    label: str  # product label (SKU)
    quantity: int
    boxes: list[BoxMatch]
    scores: list[float]  # match score of each box, same order as ``boxes``


@dataclass
class UnknownItem:
    box: tuple[float, float, float, float]
    score: float  # detector score: an object was found here but matched nothing well enough
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class RecognitionResult:
    lines: list[RecognizedLine]
    unknown: list[UnknownItem]
    image_size: tuple[int, int]  # (width, height)
    timings: dict[str, float]  # milliseconds per stage
    whole_image: bool = False  # nothing detected: the whole photo was matched as one item
    crops: int = 0  # boxes embedded and searched (before de-duplication)

    def rescaled(self, sx: float, sy: float) -> RecognitionResult:
        """The same result with boxes and image size multiplied by (sx, sy): back to original-photo
        pixels after ``decode_image_scaled`` decoded at reduced scale."""
        if (sx, sy) == (1.0, 1.0):
            return self

        def box(b):
            return (b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy)

        lines = [replace(line, boxes=[replace(m, box=box(m.box)) for m in line.boxes]) for line in self.lines]
        unknown = [replace(u, box=box(u.box)) for u in self.unknown]
        size = (round(self.image_size[0] * sx), round(self.image_size[1] * sy))
        return replace(self, lines=lines, unknown=unknown, image_size=size)

    def to_dict(self) -> dict:
        """JSON-ready dict (floats rounded for the wire)."""
        data = asdict(self)
        data["image_size"] = list(self.image_size)
        return _round(data)


def _round(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    return value


def candidates_from_hits(hits, top_k: int) -> list[Candidate]:
    """Collapse neighbours to distinct labels (best score per label), best first, at most ``top_k``."""
    seen: dict[str, Candidate] = {}
    for ext_id, label, score in hits:
        if label not in seen:
            seen[label] = Candidate(label=label, score=float(score), id=int(ext_id))
            if len(seen) >= top_k:
                break
    return list(seen.values())


class Recognizer:
    """``Recognizer(detector, extractor, gallery, config)``; ``recognize(image) -> RecognitionResult``.

    ``image`` is RGB uint8 HxWx3 (see ``images.decode_image``).  Not thread-safe (it owns
    Paddle predictors): use it on the thread that built them (``runner.EngineThread`` in the
    product) or give each thread its own via ``clone()``; the gallery is shared.
    """

    def __init__(self, detector, extractor, gallery, config: RecognizerConfig):
        self.detector = detector
        self.extractor = extractor
        self.gallery = gallery
        self.config = config

    def clone(self) -> Recognizer:
        return Recognizer(self.detector.clone(), self.extractor.clone(), self.gallery, self.config)

    def recognize(self, image: np.ndarray, timings: dict[str, float] | None = None) -> RecognitionResult:
        cfg = self.config
        timings = {} if timings is None else timings
        height, width = image.shape[:2]
        t0 = time.perf_counter()
        det_inputs = self.detector.prepare([image])
        t1 = time.perf_counter()
        (rows,) = self.detector.detect_prepared(det_inputs, 1)
        t2 = time.perf_counter()
        boxes, det_scores, whole = postprocess.select_boxes(
            rows,
            image_size=(width, height),
            score_threshold=cfg.det_score_threshold,
            max_det=cfg.max_detections,
            min_size=cfg.min_box_size,
        )
        batch = self.extractor.prepare([preprocess.crop(image, box) for box in boxes])
        t3 = time.perf_counter()
        features = self.extractor.embed_prepared(batch)
        t4 = time.perf_counter()
        hits = self.gallery.search(features, max(cfg.search_k, cfg.top_k))
        t5 = time.perf_counter()
        result = self.assemble(boxes, det_scores, hits, (width, height), whole)
        t6 = time.perf_counter()
        timings.update(
            {
                "det_preprocess": (t1 - t0) * 1e3,
                "det_forward": (t2 - t1) * 1e3,
                "crop_preprocess": (t3 - t2) * 1e3,
                "feature_forward": (t4 - t3) * 1e3,
                "search": (t5 - t4) * 1e3,
                "postprocess": (t6 - t5) * 1e3,
            }
        )
        result.timings = dict(timings)
        return result

    def assemble(self, boxes, det_scores, hits, image_size, whole: bool = False) -> RecognitionResult:
        """Turn boxes + per-box search hits into lines and unknown items (no model involved)."""
        cfg = self.config
        items = []
        for box, det_score, box_hits in zip(boxes, det_scores, hits, strict=True):
            cands = candidates_from_hits(box_hits, cfg.top_k)
            best = cands[0] if cands else None
            matched = best is not None and best.score >= cfg.match_threshold
            unsure = matched and len(cands) > 1 and (best.score - cands[1].score) < cfg.unsure_margin
            items.append((tuple(float(v) for v in box), float(det_score), cands, matched, unsure))
        # Same-product duplicates: group by best label; matched boxes outrank unknown ones.
        groups = [it[2][0].label if it[2] else None for it in items]
        priority = [(1.0 if it[3] else 0.0) + (it[2][0].score if it[2] else 0.0) for it in items]
        keep = postprocess.dedupe(
            np.array([it[0] for it in items], np.float32).reshape(-1, 4), priority, groups, cfg.dedupe_iou
        )
        lines: dict[str, RecognizedLine] = {}
        unknown: list[UnknownItem] = []
        for i in sorted(keep):
            box, det_score, cands, matched, unsure = items[i]
            if matched:
                label = cands[0].label
                line = lines.setdefault(label, RecognizedLine(label=label, quantity=0, boxes=[], scores=[]))
                line.boxes.append(
                    BoxMatch(box=box, score=cands[0].score, det_score=det_score, unsure=unsure, candidates=cands)
                )
                line.scores.append(cands[0].score)
                line.quantity += 1
            else:
                unknown.append(UnknownItem(box=box, score=det_score, candidates=cands))
        ordered = sorted(lines.values(), key=lambda ln: -max(ln.scores))
        return RecognitionResult(
            lines=ordered,
            unknown=unknown,
            image_size=tuple(image_size),
            timings={},
            whole_image=whole,
            crops=len(items),
        )
