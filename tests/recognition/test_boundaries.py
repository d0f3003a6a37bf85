"""The engine stays free of Django; the runtime adapter builds it from settings once per process."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from recognition import runtime
from recognition.engine.images import ImageError
from recognition.engine.index import GalleryIndex
from tests.recognition.conftest import ITEM_A, ITEM_B, encode, pattern, scene

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "recognition" / "engine"


def test_engine_imports_without_django():
    modules = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
    expected = {"images", "preprocess", "predictors", "postprocess", "index", "pipeline", "model_store", "bench"}
    assert expected | {"models", "runner"} <= set(modules)
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('recognition.engine.' + name)\n"
        "from recognition.engine import Recognizer, GalleryIndex, decode_image\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_no_django_import_in_engine_sources():
    for path in ENGINE.glob("*.py"):
        text = path.read_text()
        assert "import django" not in text and "from django" not in text, path


@pytest.fixture
def configured(settings, models, tmp_path):
    settings.SHITU_DET_MODEL_DIR = str(models["det_legacy"])
    settings.SHITU_REC_MODEL_DIR = str(models["rec_pir"])
    settings.SHITU_CPU_THREADS = 1
    settings.SHITU_MATCH_THRESHOLD = 0.9
    settings.SHITU_INDEX_PATH = tmp_path / "gallery.faiss"
    runtime.reset()
    yield settings
    runtime.reset()


def _embed(crops):
    return runtime.run(lambda models: models.extractor.embed(crops))


def test_runtime_builds_once_and_runs_every_threads_models_on_its_engine_thread(configured):
    eng = runtime.engine()
    assert runtime.engine() is eng
    seen = []

    def where(models):
        seen.append((threading.current_thread(), models))
        return models

    models = runtime.run(where)
    gallery = GalleryIndex(models.extractor.dim, version=models.extractor.version)
    gallery.add([1, 2], _embed([pattern(ITEM_A), pattern(ITEM_B)]), ["A", "B"])
    results = []

    def work():
        runtime.run(where)
        results.append(runtime.recognize_bytes(encode(scene()), gallery))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 3 and {thread for thread, _ in seen} == {eng._thread}  # one engine thread
    assert all(m is models for _, m in seen)  # one predictor set per process
    assert eng._thread is not threading.current_thread()
    for result in results:
        assert {line.label: line.quantity for line in result.lines} == {"A": 2, "B": 1}
    eng.close()
    runtime.reset()
    assert runtime.engine() is not eng  # a fresh engine (settings changed, or a forked child)


def test_runtime_applies_upload_limits(configured):
    gallery = GalleryIndex(512)
    configured.SHITU_MAX_IMAGE_PIXELS = 1000
    with pytest.raises(ImageError, match="too many pixels"):
        runtime.recognize_bytes(encode(scene()), gallery)


def test_model_status_reports_configured_folders(configured, tmp_path):
    from recognition.conf import model_status

    status = model_status()
    assert status["detector"]["present"] and status["extractor"]["present"]
    configured.SHITU_DET_MODEL_DIR = ""
    configured.SHITU_MODEL_CACHE = tmp_path / "cache"
    status = model_status()
    assert status["detector"] == {
        "path": str(tmp_path / "cache" / "picodet_PPLCNet_x2_5_mainbody_lite_v1.0_infer"),
        "present": False,
    }


def test_recognize_bytes_reports_original_pixels_when_decoding_at_reduced_scale(configured):
    photo = np.kron(scene(), np.ones((2, 2, 1), np.uint8))  # 1280x1280, items where the boxes land x2
    configured.SHITU_DECODE_MAX_SIDE = 640
    configured.SHITU_MATCH_THRESHOLD = 0.8  # JPEG at quality 95
    runtime.reset()
    gallery = GalleryIndex(512)
    gallery.add([1, 2], _embed([pattern(ITEM_A), pattern(ITEM_B)]), ["A", "B"])
    result = runtime.recognize_bytes(encode(photo, "JPEG", quality=95), gallery)
    assert result.image_size == (1280, 1280)
    lines = {line.label: line for line in result.lines}
    assert lines["A"].quantity == 2 and lines["B"].quantity == 1
    assert sorted(b.box for b in lines["A"].boxes) == [(40, 40, 600, 600), (680, 680, 1240, 1240)]
