"""Detector and FeatureExtractor on tiny models in both on-disk formats."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from recognition.engine.predictors import Detector, FeatureExtractor, ModelError, bf16_supported
from tests.recognition import tiny_models
from tests.recognition.conftest import pattern, scene


def expected_rows(height: int, width: int) -> np.ndarray:
    boxes = tiny_models.DET_BOXES_640 * np.array([width, height, width, height], np.float32) / 640
    return np.column_stack([np.zeros(len(boxes)), tiny_models.DET_SCORES, boxes]).astype(np.float32)


@pytest.mark.parametrize("folder", ["det_legacy", "det_pir", "det_two_inputs"])
def test_detector_loads_both_formats_and_splits_a_batch(models, folder):
    det = Detector(models[folder], threads=1)
    assert det.format == ("pir" if folder == "det_pir" else "legacy")
    expected_inputs = {"image", "scale_factor"} | ({"im_shape"} if folder != "det_two_inputs" else set())
    assert set(det.input_names) == expected_inputs
    images = [scene(), np.zeros((320, 1280, 3), np.uint8)]
    out = det.detect(images)
    assert len(out) == 2
    np.testing.assert_allclose(out[0], expected_rows(640, 640), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out[1], expected_rows(320, 1280), rtol=1e-5, atol=1e-3)  # original pixels


def test_detector_empty_batch(models):
    assert Detector(models["det_legacy"], threads=1).detect([]) == []


@pytest.fixture(scope="module")
def extractors(models):
    return {fmt: FeatureExtractor(models[f"rec_{fmt}"], threads=1, max_batch=4) for fmt in ("legacy", "pir")}


def test_extractor_formats_agree_and_normalise(extractors):
    crops = [pattern(seed) for seed in range(3)]
    legacy, pir = extractors["legacy"].embed(crops), extractors["pir"].embed(crops)
    assert legacy.shape == (3, 512) and legacy.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(legacy, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(legacy, pir, atol=1e-5)
    assert extractors["pir"].dim == 512 and extractors["pir"].format == "pir"


def test_extractor_matches_the_tiny_networks_math(extractors):
    from recognition.engine import preprocess

    crop = pattern(5, size=224)
    x = preprocess.extractor_batch([crop])[0]  # [3, 224, 224]
    pooled = x.reshape(3, 4, 56, 4, 56).mean(axis=(2, 4)).reshape(48)
    raw = pooled @ tiny_models.extractor_matrix()
    np.testing.assert_allclose(extractors["legacy"].embed([crop])[0], raw / np.linalg.norm(raw), atol=1e-4)


def test_batched_equals_one_at_a_time_and_chunks_above_max_batch(extractors):
    ext = extractors["legacy"]
    crops = [pattern(seed, size=100 + seed) for seed in range(10)]  # 10 > max_batch 4: three chunks
    batched = ext.embed(crops)
    single = np.concatenate([ext.embed([c]) for c in crops])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert ext.embed([]).shape == (0, 512)


def test_version_names_folder_and_weights(models, tmp_path, extractors):
    version = extractors["legacy"].version
    assert version.startswith("rec_legacy@") and len(version.split("@")[1]) == 12
    assert FeatureExtractor(models["rec_legacy"], threads=1).version == version  # stable
    copy = tmp_path / "rec_legacy"
    shutil.copytree(models["rec_legacy"], copy)
    assert FeatureExtractor(copy, threads=1).version == version  # same name, same weights
    params = copy / "inference.pdiparams"
    data = bytearray(params.read_bytes())
    data[-1] ^= 0x01  # one different weight bit
    params.write_bytes(bytes(data))
    assert FeatureExtractor(copy, threads=1).version != version


def test_clones_run_in_other_threads(extractors):
    ext = extractors["pir"]
    crops = [pattern(seed) for seed in range(4)]
    expected = ext.embed(crops)
    results, errors = [], []

    def work():
        try:
            clone = ext.clone()
            for _ in range(3):
                results.append(clone.embed(crops))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 6
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-5)


def test_missing_or_incomplete_model_folder(tmp_path, models):
    with pytest.raises(ModelError, match="model folder not found"):
        Detector(tmp_path / "nope")
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(models["det_legacy"] / "inference.pdmodel", broken)
    with pytest.raises(ModelError, match=r"inference\.pdiparams missing"):
        Detector(broken)
    with pytest.raises(ModelError, match="must declare an 'image' input"):
        Detector(models["rec_legacy"])


@pytest.mark.skipif(not bf16_supported(), reason="CPU without native bfloat16")
def test_bf16_extractor_stays_close_to_float32_and_keeps_stdout_clean(models, capfd):
    fp32 = FeatureExtractor(models["rec_pir"], threads=1)
    capfd.readouterr()
    bf16 = FeatureExtractor(models["rec_pir"], threads=1, bf16=True)
    assert capfd.readouterr().out == ""  # oneDNN's bf16 pass report went to stderr, not stdout
    assert bf16.bf16 and bf16.clone().bf16
    crops = [pattern(seed) for seed in range(4)]
    cos = (fp32.embed(crops) * bf16.embed(crops)).sum(axis=1)
    assert (cos > 0.99).all(), cos
