"""Django-side view of the recognition settings (the engine itself never imports Django)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from recognition.engine import model_store
from recognition.engine.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, MIN_SIDE
from recognition.engine.models import InferenceOptions


def _setting(name: str, default):
    return getattr(settings, name, default)


def model_cache() -> Path:
    return Path(_setting("SHITU_MODEL_CACHE", Path(settings.BASE_DIR) / "var" / "models"))


def model_dirs() -> dict[str, Path | None]:
    """Where the detector and feature-extractor folders are: the explicit setting, else the fetched cache."""
    out: dict[str, Path | None] = {}
    for name, setting in (("detector", "SHITU_DET_MODEL_DIR"), ("extractor", "SHITU_REC_MODEL_DIR")):
        explicit = _setting(setting, "")
        out[name] = Path(explicit) if explicit else model_store.model_folder(name, model_cache())
    return out


def expected_sha256() -> dict[str, str | None]:
    return {
        "detector": _setting("SHITU_DET_SHA256", "") or None,
        "extractor": _setting("SHITU_REC_SHA256", "") or None,
    }


def _has_model_files(folder: Path | None) -> bool:
    if folder is None or not folder.is_dir():
        return False
    has_graph = (folder / "inference.pdmodel").is_file() or (folder / "inference.json").is_file()
    return has_graph and (folder / "inference.pdiparams").is_file()


def model_status() -> dict[str, dict]:
    return {
        name: {"path": str(folder) if folder else None, "present": _has_model_files(folder)}
        for name, folder in model_dirs().items()
    }


def decode_limits() -> dict[str, int]:
    return {
        "max_pixels": _setting("SHITU_MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS),
        "max_bytes": _setting("SHITU_MAX_IMAGE_BYTES", DEFAULT_MAX_BYTES),
        "min_side": _setting("SHITU_MIN_IMAGE_SIDE", MIN_SIDE),
    }


def inference_options() -> InferenceOptions:
    """How the predictors run (backend, threads, oneDNN, bf16, batch chunk), one object for every caller."""
    return InferenceOptions(
        threads=_setting("SHITU_CPU_THREADS", 2),
        mkldnn=_setting("SHITU_MKLDNN", True),
        bf16=rec_bf16(),
        max_batch=inference_options_max_batch(),
    )


def recognizer_config(**overrides):
    from recognition.engine.pipeline import RecognizerConfig

    values = {
        "det_score_threshold": _setting("SHITU_DET_SCORE_THRESHOLD", 0.5),
        "max_detections": _setting("SHITU_MAX_DETECTIONS", 30),
        "min_box_size": _setting("SHITU_MIN_BOX_SIZE", 16.0),
        "match_threshold": _setting("SHITU_MATCH_THRESHOLD", 0.5),
        "unsure_margin": _setting("SHITU_UNSURE_MARGIN", 0.05),
        "top_k": _setting("SHITU_TOP_K", 5),
        "search_k": _setting("SHITU_SEARCH_K", 20),
        "dedupe_iou": _setting("SHITU_DEDUPE_IOU", 0.5),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return RecognizerConfig(**values)


def crop_rule():
    """Which part of a reference photo is embedded (``GALLERY_MAINBODY_CROP``, ``GALLERY_CROP_MIN_SCORE``)."""
    from recognition.engine.indexing import CropRule

    return CropRule(
        mainbody=bool(_setting("GALLERY_MAINBODY_CROP", False)),
        min_score=_setting("GALLERY_CROP_MIN_SCORE", 0.5),
        min_size=recognizer_config().min_box_size,
    )


def gallery_options() -> dict:
    return {
        "kind": _setting("SHITU_INDEX_KIND", "flat"),
        "hnsw_m": _setting("SHITU_HNSW_M", 32),
        "ef_search": _setting("SHITU_HNSW_EF_SEARCH", 64),
        "nlist": _setting("SHITU_IVF_NLIST", 0) or None,
        "nprobe": _setting("SHITU_IVF_NPROBE", 16),
    }


def index_path() -> Path:
    return Path(_setting("SHITU_INDEX_PATH", Path(settings.BASE_DIR) / "var" / "gallery" / "index.faiss"))


def inference_options_max_batch() -> int:
    return _setting("SHITU_REC_MAX_BATCH", 32)


def warmup_enabled() -> bool:
    return bool(_setting("SHITU_WARMUP", True))


def rec_bf16() -> bool:
    return bool(_setting("SHITU_REC_BF16", False))


def decode_max_side() -> int | None:
    return _setting("SHITU_DECODE_MAX_SIDE", 0) or None


def search_threads() -> int:
    return _setting("SHITU_SEARCH_THREADS", 1)
