"""PicoDet post-processing in numpy: the part of the exported detector graph after its head.

The exported mainbody detector ends in a ``while`` loop over the batch (decode each image's
four head levels) and ``multiclass_nms3``; neither converts to OpenVINO or ONNX, so the
graph is cut at the head outputs (``graphs.cut_picodet``) and this module does the rest,
with every parameter read from the graph itself (``HeadSpec``, saved beside the cut graph):

* per level: the class map [N, H, W, C] (after sigmoid) and the box map [N, H, W, 4 * bins];
  softmax over the ``bins`` of each side, integral (times ``project`` = 0..bins-1), times the
  stride, from the cell centres ``(x + offset) * stride``; only the ``nms_pre`` best cells of
  a level when it has more; boxes clipped to ``im_shape`` and divided by ``scale_factor``;
* Paddle's ``multiclass_nms3`` (CPU kernel semantics: scores strictly above the threshold,
  stable sort, ``nms_top_k`` per class, greedy suppression with IoU > threshold, adaptive
  ``nms_eta``, ``keep_top_k`` per image by score, rows ordered by class then score).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..paddle_import import import_paddle


@dataclass(frozen=True)
class NmsParams:
    """The attributes of the graph's ``multiclass_nms3`` op."""

    score_threshold: float
    nms_top_k: int
    keep_top_k: int
    nms_threshold: float
    normalized: bool
    nms_eta: float
    background_label: int


@dataclass(frozen=True)
class Level:
    scores: str  # output name of the class map [N, H, W, C]
    boxes: str  # output name of the box map [N, H, W, 4 * bins]
    stride: float


@dataclass(frozen=True)
class HeadSpec:
    """Everything the cut-off part of the graph did, read from that graph."""

    levels: tuple[Level, ...]
    bins: int  # reg_max + 1
    cell_offset: float
    nms_pre: int | None  # cells kept per level before NMS (None: all)
    nms: NmsParams

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> HeadSpec:
        data = json.loads(text)
        return cls(
            levels=tuple(Level(**lv) for lv in data["levels"]),
            bins=int(data["bins"]),
            cell_offset=float(data["cell_offset"]),
            nms_pre=None if data["nms_pre"] is None else int(data["nms_pre"]),
            nms=NmsParams(**data["nms"]),
        )

    @classmethod
    def load(cls, path: str | Path) -> HeadSpec:
        return cls.from_json(Path(path).read_text())

    @property
    def output_names(self) -> list[str]:
        return [name for lv in self.levels for name in (lv.scores, lv.boxes)]


def _softmax_integral(logits: np.ndarray, bins: int) -> np.ndarray:
    """[M, 4 * bins] logits -> [M, 4] expected distance in bins (softmax, then sum of p * k)."""
    x = logits.reshape(-1, bins)
    x = np.exp(x - x.max(axis=1, keepdims=True))
    x /= x.sum(axis=1, keepdims=True)
    return (x @ np.arange(bins, dtype=np.float32)).reshape(-1, 4)


def decode_image(spec: HeadSpec, heads: dict[str, np.ndarray], i: int, im_shape, scale_factor):
    """Image ``i`` of the batch: (boxes [M, 4] in original pixels, scores [C, M]) before NMS."""
    all_boxes, all_scores = [], []
    for lv in spec.levels:
        cls_map, box_map = heads[lv.scores][i], heads[lv.boxes][i]
        height, width, classes = cls_map.shape
        scores = cls_map.reshape(-1, classes)
        logits = box_map.reshape(height * width, -1)
        ys = (np.arange(height, dtype=np.float32) + np.float32(spec.cell_offset)) * np.float32(lv.stride)
        xs = (np.arange(width, dtype=np.float32) + np.float32(spec.cell_offset)) * np.float32(lv.stride)
        cx, cy = np.tile(xs, height), np.repeat(ys, width)
        if spec.nms_pre is not None and len(scores) > spec.nms_pre:
            top = top_k(scores.max(axis=1), spec.nms_pre)
            scores, logits, cx, cy = scores[top], logits[top], cx[top], cy[top]
        dist = _softmax_integral(logits, spec.bins) * np.float32(lv.stride)
        boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1)
        np.clip(boxes[:, 0::2], 0, np.float32(im_shape[1]), out=boxes[:, 0::2])
        np.clip(boxes[:, 1::2], 0, np.float32(im_shape[0]), out=boxes[:, 1::2])
        all_boxes.append(boxes)
        all_scores.append(scores)
    sy, sx = np.float32(scale_factor[0]), np.float32(scale_factor[1])
    boxes = np.concatenate(all_boxes) / np.array([sx, sy, sx, sy], np.float32)
    return boxes.astype(np.float32, copy=False), np.concatenate(all_scores).T


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values, best first, with Paddle's own order among equal values.

    The order of exact ties is an artefact of the kernel's ``std::nth_element`` + ``std::sort``,
    yet it decides which of two equal-scored overlapping boxes NMS keeps (random-weight and
    flat-background photos have many exact ties), so the kernel itself is called, eagerly.
    """
    paddle = import_paddle()
    if paddle.in_dynamic_mode():
        return paddle.topk(paddle.to_tensor(values, place=paddle.CPUPlace()), k)[1].numpy()
    with paddle.base.dygraph.guard(paddle.CPUPlace()):  # someone switched this process to static mode
        return paddle.topk(paddle.to_tensor(values), k)[1].numpy()


def _area(boxes: np.ndarray, normalized: bool) -> np.ndarray:
    """Paddle's BBoxArea per row (0 for an inverted box)."""
    norm = np.float32(0.0 if normalized else 1.0)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return np.where((w < 0) | (h < 0), np.float32(0.0), (w + norm) * (h + norm))


def _nms_class(boxes: np.ndarray, scores: np.ndarray, p: NmsParams, limit: int) -> list[int]:
    """Paddle's NMSFast for one class: kept indices, best first (stops after ``limit`` kept).

    A candidate is kept when its IoU (Paddle's JaccardOverlap in float32, 0 for disjoint
    boxes) with every box kept before it is at most the threshold (which ``nms_eta`` < 1
    lowers after each kept box).  With a fixed threshold the candidates go in blocks: one IoU
    matrix against the boxes kept so far and one within the block, then a greedy pass over
    booleans.
    """
    candidates = np.flatnonzero(scores > np.float32(p.score_threshold))
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    if p.nms_top_k > -1:
        order = order[: p.nms_top_k]
    cand = np.ascontiguousarray(boxes[order], dtype=np.float32)
    area = _area(cand, p.normalized)
    threshold = np.float32(p.nms_threshold)
    kept: list[int] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        if p.nms_eta < 1.0:
            for t in range(len(order)):
                overlaps = _iou_matrix(cand, area, np.array(kept, np.int64), np.array([t]), p.normalized)
                if not (overlaps <= threshold).all():
                    continue
                kept.append(t)
                if len(kept) >= limit:
                    break
                if threshold > 0.5:
                    threshold = np.float32(threshold * np.float32(p.nms_eta))
            return [int(order[i]) for i in kept]
        block = max(64, 2 * limit)
        for start in range(0, len(order), block):
            rows = np.arange(start, min(start + block, len(order)))
            inside = _iou_matrix(cand, area, rows, rows, p.normalized) <= threshold
            alive = (_iou_matrix(cand, area, np.array(kept, np.int64), rows, p.normalized) <= threshold).all(axis=0)
            for t in range(len(rows)):
                if alive[t]:
                    kept.append(int(rows[t]))
                    if len(kept) >= limit:
                        return [int(order[i]) for i in kept]
                    alive[t + 1 :] &= inside[t, t + 1 :]
    return [int(order[i]) for i in kept]


def _iou_matrix(boxes: np.ndarray, area: np.ndarray, a: np.ndarray, b: np.ndarray, normalized: bool) -> np.ndarray:
    """[len(a), len(b)] JaccardOverlap between the rows ``a`` and ``b`` of ``boxes``."""
    norm = np.float32(0.0 if normalized else 1.0)
    p, q = boxes[a][:, None, :], boxes[b][None, :, :]
    disjoint = (q[..., 0] > p[..., 2]) | (q[..., 2] < p[..., 0]) | (q[..., 1] > p[..., 3]) | (q[..., 3] < p[..., 1])
    iw = np.minimum(p[..., 2], q[..., 2]) - np.maximum(p[..., 0], q[..., 0]) + norm
    ih = np.minimum(p[..., 3], q[..., 3]) - np.maximum(p[..., 1], q[..., 1]) + norm
    inter = iw * ih
    iou = inter / (area[a][:, None] + area[b][None, :] - inter)
    iou[disjoint] = 0.0
    return iou


def multiclass_nms(boxes: np.ndarray, scores: np.ndarray, p: NmsParams) -> np.ndarray:
    """One image: boxes [M, 4], scores [C, M] -> rows [K, 6] = class, score, x1, y1, x2, y2."""
    limit = p.keep_top_k if p.keep_top_k > -1 else len(boxes)
    picks: list[tuple[float, int, int]] = []  # (score, class, index)
    for c in range(scores.shape[0]):
        if c == p.background_label:
            continue
        picks.extend((float(scores[c, i]), c, i) for i in _nms_class(boxes, scores[c], p, limit))
    if p.keep_top_k > -1 and len(picks) > p.keep_top_k:
        # Python's sort is stable, as std::stable_sort over (class, kept order) in Paddle.
        picks = sorted(picks, key=lambda t: -t[0])[: p.keep_top_k]
    picks.sort(key=lambda t: t[1])  # rows grouped by class (a std::map), each in its kept order
    rows = np.empty((len(picks), 6), np.float32)
    for r, (_, c, i) in enumerate(picks):
        rows[r, 0], rows[r, 1], rows[r, 2:] = c, scores[c, i], boxes[i]
    return rows


def postprocess(spec: HeadSpec, heads: dict[str, np.ndarray], im_shape, scale_factor) -> list[np.ndarray]:
    """The whole cut-off part for a batch: per image, rows [K, 6] as the full graph returns them."""
    out = []
    for i in range(len(im_shape)):
        boxes, scores = decode_image(spec, heads, i, im_shape[i], scale_factor[i])
        out.append(multiclass_nms(boxes, scores, spec.nms))
    return out
