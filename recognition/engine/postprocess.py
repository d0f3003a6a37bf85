"""Detector post-processing and result de-duplication (pure numpy, no model needed)."""

from __future__ import annotations

import numpy as np


def top_detections(rows: np.ndarray, *, score_threshold: float, max_det: int) -> np.ndarray:
    """Rows with score >= threshold, highest score first, at most ``max_det``; boxes untouched."""
    rows = np.asarray(rows, dtype=np.float32).reshape(-1, 6)
    rows = rows[rows[:, 1] >= score_threshold]
    order = np.argsort(-rows[:, 1], kind="stable")
    return rows[order[: max(0, int(max_det))]]


def select_boxes(
    rows: np.ndarray,
    *,
    image_size: tuple[int, int],
    score_threshold: float,
    max_det: int,
    min_size: float,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Boxes to crop for checkout: (boxes [k, 4] float32, detector scores [k], whole_image).

    Keeps rows at or above ``score_threshold``, clamps them to the image, drops degenerate
    boxes (width or height below ``min_size`` pixels after clamping, or non-finite), keeps the
    ``max_det`` best.  When nothing survives, the whole image is the one box (score 0) and
    ``whole_image`` is True.
    """
    width, height = image_size
    rows = np.asarray(rows, dtype=np.float32).reshape(-1, 6)
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 1] >= score_threshold)]
    boxes = rows[:, 2:6].copy()
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, width)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, height)
    keep = ((boxes[:, 2] - boxes[:, 0]) >= max(min_size, 1e-6)) & ((boxes[:, 3] - boxes[:, 1]) >= max(min_size, 1e-6))
    boxes, scores = boxes[keep], rows[keep, 1]
    order = np.argsort(-scores, kind="stable")[: max(0, int(max_det))]
    boxes, scores = boxes[order], scores[order]
    if len(boxes) == 0:
        return np.array([[0, 0, width, height]], np.float32), np.zeros(1, np.float32), True
    return boxes, scores, False


def iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one box (x1, y1, x2, y2) against each row of ``others``."""
    others = np.asarray(others, dtype=np.float32).reshape(-1, 4)
    ix1 = np.maximum(box[0], others[:, 0])
    iy1 = np.maximum(box[1], others[:, 1])
    ix2 = np.minimum(box[2], others[:, 2])
    iy2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def dedupe(boxes: np.ndarray, scores: np.ndarray, groups: list, iou_threshold: float) -> list[int]:
    """Greedy NMS within each group (same product label): indices kept, best score first.

    Two boxes of the *same* group overlapping with IoU above ``iou_threshold`` are one item
    seen twice; boxes of different groups never suppress each other (two products can
    touch).  ``groups`` entries of ``None`` form no group and are never suppressed here.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float32), kind="stable")
    kept: list[int] = []
    for i in order:
        if groups[i] is not None:
            same = [j for j in kept if groups[j] == groups[i]]
            if same and float(iou(boxes[i], boxes[same]).max()) > iou_threshold:
                continue
        kept.append(int(i))
    return kept
