"""One options object and one ``build_models()``: the backend is chosen by the options, from the settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from recognition import conf, runtime
from recognition.engine import models as engine_models
from recognition.engine.predictors import Detector, FeatureExtractor, ModelError

ROOT = Path(__file__).resolve().parents[2]


def test_the_options_come_from_the_settings(settings):
    settings.SHITU_CPU_THREADS, settings.SHITU_REC_BF16, settings.SHITU_REC_MAX_BATCH = 3, True, 8
    settings.SHITU_BACKEND, settings.SHITU_DEVICE = "paddle", "cpu"
    options = conf.inference_options()
    assert (options.backend, options.device, options.threads, options.bf16, options.max_batch) == (
        "paddle",
        "cpu",
        3,
        True,
        8,
    )
    settings.SHITU_BACKEND = "another"
    assert conf.inference_options().backend == "another"
    assert options.with_(threads=1, bf16=None).threads == 1 and options.with_(bf16=None).bf16  # None keeps a field


def test_build_models_dispatches_on_the_backend(models):
    built = []

    def detector(folder, options):
        built.append(("detector", folder.name, options.extra["tag"]))
        return Detector(folder, threads=options.threads, mkldnn=options.mkldnn)

    def extractor(folder, options):
        built.append(("extractor", folder.name, options.extra["tag"]))
        return FeatureExtractor(folder, threads=options.threads, mkldnn=options.mkldnn, max_batch=options.max_batch)

    engine_models.register_backend("recording", detector, extractor)
    try:
        options = engine_models.InferenceOptions(
            backend="recording", device="cpu", threads=1, mkldnn=True, bf16=False, max_batch=4, extra={"tag": "t"}
        )
        m = engine_models.build_models(models["det_legacy"], models["rec_pir"], options, warm_up=True)
        assert built == [("detector", "det_legacy", "t"), ("extractor", "rec_pir", "t")]
        assert m.extractor.max_batch == 4 and m.options is options
        only = engine_models.build_models(None, models["rec_pir"], options, detector=False)
        assert only.detector is None and built[-1][0] == "extractor"
    finally:
        engine_models._BACKENDS.pop("recording")
    with pytest.raises(ModelError, match="unknown inference backend 'recording'; known: auto, openvino, paddle"):
        engine_models.build_models(models["det_legacy"], models["rec_pir"], options)
    with pytest.raises(ModelError, match="runs on the CPU here, not on 'gpu'"):
        engine_models.build_detector(models["det_legacy"], options.with_(backend="paddle", device="gpu"))
    with pytest.raises(ModelError, match="extractor model folder None not found"):
        engine_models.build_extractor(None, options.with_(backend="paddle"))


def test_the_runtime_builds_with_the_configured_backend(settings, models):
    settings.SHITU_DET_MODEL_DIR, settings.SHITU_REC_MODEL_DIR = str(models["det_legacy"]), str(models["rec_pir"])
    settings.SHITU_CPU_THREADS = 1
    settings.SHITU_BACKEND = "no-such-backend"  # then "paddle": whatever the default, both are tested
    runtime.reset()
    try:
        assert runtime.preload() is False  # logged, not raised: the demo still starts
        with pytest.raises(ModelError, match="unknown inference backend 'no-such-backend'"):
            runtime.run(lambda m: m)
        settings.SHITU_BACKEND = "paddle"
        assert runtime.preload() is True  # the next call builds again: no restart needed
    finally:
        runtime.reset()


def test_recognition_reads_settings_without_restating_defaults():
    """Every default is written once, in settings.py: recognition code reads settings.NAME."""
    sources = [p for p in (ROOT / "recognition").rglob("*.py") if "migrations" not in p.parts]
    names = set()
    for path in sources:
        text = path.read_text()
        assert "getattr(settings" not in text, path
        names |= set(re.findall(r"\bsettings\.([A-Z][A-Z0-9]*_[A-Z0-9_]+)", text))
    assert {"SHITU_BACKEND", "SHITU_MATCH_THRESHOLD", "GALLERY_MAINBODY_CROP"} <= names
    missing = sorted(name for name in names if not hasattr(django_settings, name))
    assert not missing, f"read but not defined in settings.py: {missing}"
