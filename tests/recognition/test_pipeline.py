"""Recognizer end to end on the tiny models: a 4-item scene photo, fallback, timings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recognition.conf import recognizer_config  # the settings' defaults, overridden per test
from recognition.engine.index import GalleryIndex
from recognition.engine.pipeline import Recognizer
from recognition.engine.predictors import Detector, FeatureExtractor
from tests.recognition.conftest import ITEM_A, ITEM_B, pattern, scene


@pytest.fixture(scope="module")
def engine_parts(models):
    det = Detector(models["det_pir"], threads=1)
    ext = FeatureExtractor(models["rec_legacy"], threads=1)
    gallery = GalleryIndex(ext.dim, version=ext.version)
    # Items A and B plus distractors; item C is not in the gallery.
    photos = [pattern(ITEM_A), pattern(ITEM_B), *[pattern(seed) for seed in range(100, 110)]]
    labels = ["SKU-A", "SKU-B", *[f"SKU-D{i}" for i in range(10)]]
    gallery.add(np.arange(1, len(photos) + 1), ext.embed(photos), labels)
    return det, ext, gallery


def test_scene_becomes_lines_and_an_unknown_item(engine_parts):
    rec = Recognizer(*engine_parts, recognizer_config(match_threshold=0.9, dedupe_iou=0.5, top_k=3))
    result = rec.recognize(scene())
    lines = {line.label: line for line in result.lines}
    assert set(lines) == {"SKU-A", "SKU-B"}
    # Two A items; the detector's duplicate box over the first A is merged into it.
    assert lines["SKU-A"].quantity == 2
    assert sorted(b.box for b in lines["SKU-A"].boxes) == [(20, 20, 300, 300), (340, 340, 620, 620)]
    assert lines["SKU-B"].quantity == 1 and lines["SKU-B"].boxes[0].box == (340, 20, 620, 300)
    assert lines["SKU-A"].scores[0] == pytest.approx(1.0, abs=1e-3)
    assert lines["SKU-B"].boxes[0].candidates[0].label == "SKU-B"
    assert len(lines["SKU-B"].boxes[0].candidates) == 3
    # Item C matched nothing well: reported, with its box and best candidates.
    assert len(result.unknown) == 1
    unknown = result.unknown[0]
    assert unknown.box == (20, 340, 300, 620) and unknown.score == pytest.approx(0.7)
    assert len(unknown.candidates) == 3 and unknown.candidates[0].score < 0.9
    assert result.image_size == (640, 640) and not result.whole_image
    assert result.crops == 5  # the sixth box scores 0.3, under the threshold
    assert set(result.timings) >= {"det_preprocess", "det_forward", "crop_preprocess", "feature_forward", "search"}
    json.dumps(result.to_dict())


def test_whole_image_used_when_nothing_detected(engine_parts):
    rec = Recognizer(*engine_parts, recognizer_config(det_score_threshold=0.95, match_threshold=0.9))
    result = rec.recognize(pattern(ITEM_B, size=320))
    assert result.whole_image
    assert [(line.label, line.quantity) for line in result.lines] == [("SKU-B", 1)]
    assert result.lines[0].boxes[0].box == (0, 0, 320, 320)


def test_max_detections_limits_the_boxes(engine_parts):
    rec = Recognizer(*engine_parts, recognizer_config(max_detections=2, match_threshold=0.9))
    result = rec.recognize(scene())
    assert sum(line.quantity for line in result.lines) + len(result.unknown) == 2


def test_clone_gives_same_result_and_shares_the_gallery(engine_parts):
    rec = Recognizer(*engine_parts, recognizer_config(match_threshold=0.9))
    twin = rec.clone()
    assert twin.gallery is rec.gallery and twin.detector is not rec.detector
    a, b = rec.recognize(scene()).to_dict(), twin.recognize(scene()).to_dict()
    a.pop("timings"), b.pop("timings")
    assert a == b
