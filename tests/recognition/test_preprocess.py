"""Preprocessing numerics against a direct numpy/OpenCV computation of the reference recipe."""

from __future__ import annotations

import cv2
import numpy as np

from recognition.engine import preprocess

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def reference(img: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    resized = cv2.resize(img, (size, size), interpolation=interpolation)
    x = resized.astype(np.float32) / 255.0
    x = (x - MEAN) / STD
    return x.transpose(2, 0, 1)


def test_detector_inputs_match_reference():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (300, 500, 3), dtype=np.uint8), rng.integers(0, 256, (777, 123, 3), dtype=np.uint8)]
    feeds = preprocess.detector_inputs(images)
    assert feeds["image"].shape == (2, 3, 640, 640) and feeds["image"].dtype == np.float32
    for i, img in enumerate(images):
        np.testing.assert_allclose(feeds["image"][i], reference(img, 640, cv2.INTER_CUBIC), atol=2e-5)
    np.testing.assert_array_equal(feeds["im_shape"], [[640, 640], [640, 640]])
    np.testing.assert_allclose(feeds["scale_factor"], [[640 / 300, 640 / 500], [640 / 777, 640 / 123]], rtol=1e-6)


def test_detector_uses_bicubic_without_keeping_the_ratio():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (100, 400, 3), dtype=np.uint8)
    got = preprocess.detector_inputs([img])["image"][0]
    bilinear = reference(img, 640, cv2.INTER_LINEAR)
    assert not np.allclose(got, bilinear, atol=1e-3)  # really bicubic, not another filter
    assert got.shape == (3, 640, 640)  # stretched, not letterboxed


def test_extractor_batch_matches_reference_on_crop_views():
    rng = np.random.default_rng(2)
    photo = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    crops = [preprocess.crop(photo, (10, 20, 200, 300)), preprocess.crop(photo, (300.7, 0, 639.9, 479.2))]
    assert not crops[0].flags["C_CONTIGUOUS"]  # views into the photo, no copies
    batch = preprocess.extractor_batch(crops)
    assert batch.shape == (2, 3, 224, 224) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[0], reference(photo[20:300, 10:200], 224, cv2.INTER_LINEAR), atol=2e-5)
    np.testing.assert_allclose(batch[1], reference(photo[0:479, 300:639], 224, cv2.INTER_LINEAR), atol=2e-5)


def test_extractor_batch_fills_a_preallocated_buffer():
    rng = np.random.default_rng(3)
    crops = [rng.integers(0, 256, (50, 60, 3), dtype=np.uint8) for _ in range(3)]
    buffer = np.zeros((8, 3, 224, 224), np.float32)
    batch = preprocess.extractor_batch(crops, out=buffer)
    assert batch.shape[0] == 3 and np.shares_memory(batch, buffer)
    np.testing.assert_allclose(buffer[2], reference(crops[2], 224, cv2.INTER_LINEAR), atol=2e-5)


def test_crop_clamps_and_never_empty():
    photo = np.zeros((100, 200, 3), np.uint8)
    assert preprocess.crop(photo, (-50, -10, 500, 500)).shape == (100, 200, 3)
    assert preprocess.crop(photo, (199.9, 99.9, 199.9, 99.9)).shape == (1, 1, 3)
