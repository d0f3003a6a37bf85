"""Post-processing rules: threshold, top-K, clamping, degenerate boxes, fallback, dedupe, lines, unknowns."""

from __future__ import annotations

import json

import numpy as np

from recognition.conf import recognizer_config  # the settings' defaults, overridden per test
from recognition.engine.pipeline import Recognizer
from recognition.engine.postprocess import dedupe, iou, select_boxes, top_detections


def rows(*items):
    return np.array([[0, s, *box] for s, box in items], np.float32).reshape(-1, 6)


def test_top_detections_threshold_order_k_and_no_clamping():
    r = rows((0.4, (0, 0, 10, 10)), (0.9, (-5, -5, 900, 50)), (0.7, (1, 1, 20, 20)), (0.8, (2, 2, 30, 30)))
    out = top_detections(r, score_threshold=0.5, max_det=2)
    assert out[:, 1].tolist() == [np.float32(0.9), np.float32(0.8)]
    assert out[0, 2:].tolist() == [-5, -5, 900, 50]  # as the model emitted it


def test_select_boxes_clamps_drops_degenerate_and_keeps_k_best():
    r = rows(
        (0.95, (-20, -20, 50, 60)),  # clamped to (0, 0, 50, 60)
        (0.9, (10, 10, 12, 80)),  # 2 px wide: degenerate
        (0.85, (300, 300, 400, 400)),  # entirely outside a 200x100 image: empty after clamping
        (0.8, (100, 10, 190, 90)),
        (0.7, (20, 20, 60, 60)),
        (0.6, (np.nan, 0, 10, 10)),  # non-finite
        (0.3, (0, 0, 200, 100)),  # below threshold
    )
    boxes, scores, whole = select_boxes(r, image_size=(200, 100), score_threshold=0.5, max_det=2, min_size=4)
    assert not whole
    assert boxes.tolist() == [[0, 0, 50, 60], [100, 10, 190, 90]]
    assert scores.tolist() == [np.float32(0.95), np.float32(0.8)]


def test_k_is_large_enough_for_a_basket_by_default():
    r = rows(*[(0.9 - i * 0.01, (i * 20, 0, i * 20 + 18, 18)) for i in range(25)])
    boxes, _, _ = select_boxes(
        r, image_size=(600, 100), score_threshold=0.5, max_det=recognizer_config().max_detections, min_size=4
    )
    assert len(boxes) == 25
    assert recognizer_config().max_detections >= 20


def test_whole_image_only_when_nothing_detected():
    boxes, scores, whole = select_boxes(
        rows((0.2, (0, 0, 50, 50))), image_size=(80, 60), score_threshold=0.5, max_det=10, min_size=4
    )
    assert whole and boxes.tolist() == [[0, 0, 80, 60]] and scores.tolist() == [0]
    boxes, _, whole = select_boxes(
        rows((0.6, (0, 0, 50, 50))), image_size=(80, 60), score_threshold=0.5, max_det=10, min_size=4
    )
    assert not whole and boxes.tolist() == [[0, 0, 50, 50]]


def test_iou_values():
    assert iou(np.array([0, 0, 10, 10.0]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])).tolist() == [
        1.0,
        1 / 3,
        0.0,
    ]


def test_dedupe_only_within_a_group():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]], np.float32)
    kept = dedupe(boxes, [0.9, 0.95, 0.8, 0.7], ["a", "a", "b", "a"], 0.5)
    assert sorted(kept) == [1, 2, 3]  # box 0 is box 1 seen twice; "b" overlaps but is another product


def hits(*pairs):
    return [(i, label, score) for i, (label, score) in enumerate(pairs)]


def assemble(boxes, hit_lists, **cfg):
    rec = Recognizer(None, None, None, recognizer_config(**cfg))
    det = np.linspace(0.9, 0.6, len(boxes)).astype(np.float32)
    return rec.assemble(np.array(boxes, np.float32), det, hit_lists, (640, 480))


def test_assemble_lines_quantities_unknowns_and_alternatives():
    result = assemble(
        [[0, 0, 100, 100], [200, 0, 300, 100], [400, 0, 500, 100], [0, 200, 100, 300], [5, 5, 100, 100]],
        [
            hits(("cola", 0.9), ("cola", 0.88), ("fanta", 0.6)),
            hits(("cola", 0.85), ("sprite", 0.83)),  # unsure: runner-up within the margin
            hits(("chips", 0.95)),
            hits(("fanta", 0.3), ("cola", 0.2)),  # below the match threshold: unknown
            hits(("cola", 0.8)),  # the first cola seen twice (IoU 0.9)
        ],
        match_threshold=0.5,
        unsure_margin=0.05,
        top_k=3,
        dedupe_iou=0.5,
    )
    lines = {line.label: line for line in result.lines}
    assert set(lines) == {"cola", "chips"}
    assert lines["cola"].quantity == 2 and len(lines["cola"].boxes) == 2
    assert lines["cola"].scores == [0.9, 0.85]
    first, second = lines["cola"].boxes
    assert [c.label for c in first.candidates] == ["cola", "fanta"]  # distinct labels, best score each
    assert not first.unsure and second.unsure
    assert [c.label for c in second.candidates] == ["cola", "sprite"]
    assert lines["chips"].quantity == 1
    assert result.lines[0].label == "chips"  # best match first
    assert len(result.unknown) == 1
    unknown = result.unknown[0]
    assert unknown.box == (0, 200, 100, 300)
    assert [(c.label, c.score) for c in unknown.candidates] == [("fanta", 0.3), ("cola", 0.2)]
    json.dumps(result.to_dict())  # JSON-ready


def test_unknown_never_dropped_even_without_candidates():
    result = assemble([[0, 0, 50, 50], [1, 1, 50, 50]], [[], []], match_threshold=0.5)
    assert not result.lines and len(result.unknown) == 2


def test_to_dict_shape():
    result = assemble([[0, 0, 100, 100]], [hits(("cola", 0.9))])
    data = result.to_dict()
    assert set(data) == {"lines", "unknown", "image_size", "timings", "whole_image", "crops"}
    assert data["image_size"] == [640, 480]
    box = data["lines"][0]["boxes"][0]
    assert set(box) == {"box", "score", "det_score", "unsure", "candidates"}
    assert box["candidates"][0] == {"label": "cola", "score": 0.9, "id": 0}


def test_rescaled_maps_boxes_back_to_the_original_photo():
    result = assemble([[0, 0, 100, 100], [10, 10, 50, 60]], [hits(("cola", 0.9)), hits(("x", 0.1))])
    big = result.rescaled(2.0, 4.0)
    assert big.image_size == (1280, 1920)
    assert big.lines[0].boxes[0].box == (0, 0, 200, 400)
    assert big.unknown[0].box == (20, 40, 100, 240)
    assert result.lines[0].boxes[0].box == (0, 0, 100, 100)  # the original is untouched
    assert result.rescaled(1.0, 1.0) is result
