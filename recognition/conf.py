"""The recognition settings as engine objects (the engine itself never imports Django).

Every default is written once, in ``settings.py`` (the Recognition group); this module only
reads ``settings.NAME`` and builds what the engine takes: model folders, decode limits,
``InferenceOptions``, ``RecognizerConfig``, the reference-photo ``CropRule``, index options.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from recognition.engine import model_store
from recognition.engine.backends import CONVERT_CACHE
from recognition.engine.backends.graphs import CONVERTED_DIR
from recognition.engine.models import InferenceOptions

if TYPE_CHECKING:  # imported where used: faiss and OpenCV need not load with the settings
    from recognition.engine.indexing import CropRule
    from recognition.engine.pipeline import RecognizerConfig


def model_dirs() -> dict[str, Path | None]:
    """Where the detector and feature-extractor folders are: the explicit setting, else the fetched cache."""
    out: dict[str, Path | None] = {}
    for name, explicit in (("detector", settings.SHITU_DET_MODEL_DIR), ("extractor", settings.SHITU_REC_MODEL_DIR)):
        out[name] = Path(explicit) if explicit else model_store.model_folder(name, Path(settings.SHITU_MODEL_CACHE))
    return out


def expected_sha256() -> dict[str, str | None]:
    return {"detector": settings.SHITU_DET_SHA256 or None, "extractor": settings.SHITU_REC_SHA256 or None}


def model_status() -> dict[str, dict]:
    return {
        name: {
            "path": str(folder) if folder else None,
            "present": folder is not None and model_store.has_model_files(folder),
        }
        for name, folder in model_dirs().items()
    }


def decode_limits() -> dict[str, int]:
    return {
        "max_pixels": settings.SHITU_MAX_IMAGE_PIXELS,
        "max_bytes": settings.SHITU_MAX_IMAGE_BYTES,
        "min_side": settings.SHITU_MIN_IMAGE_SIDE,
    }


def inference_options() -> InferenceOptions:
    """How the predictors run (backend, device, threads, oneDNN, bf16, batch chunk), for every caller."""
    return InferenceOptions(
        backend=settings.SHITU_BACKEND,
        device=settings.SHITU_DEVICE,
        threads=settings.SHITU_CPU_THREADS,
        mkldnn=settings.SHITU_MKLDNN,
        bf16=settings.SHITU_REC_BF16,
        max_batch=settings.SHITU_REC_MAX_BATCH,
        # Converted graphs of a read-only model folder (``SHITU_*_MODEL_DIR`` on a shared copy).
        extra={CONVERT_CACHE: str(Path(settings.SHITU_MODEL_CACHE) / CONVERTED_DIR)},
    )


def recognizer_config(**overrides) -> RecognizerConfig:
    """The checkout pipeline's thresholds from the settings; ``overrides`` that are not None win."""
    from recognition.engine.pipeline import RecognizerConfig

    values = {
        "det_score_threshold": settings.SHITU_DET_SCORE_THRESHOLD,
        "max_detections": settings.SHITU_MAX_DETECTIONS,
        "min_box_size": settings.SHITU_MIN_BOX_SIZE,
        "match_threshold": settings.SHITU_MATCH_THRESHOLD,
        "unsure_margin": settings.SHITU_UNSURE_MARGIN,
        "top_k": settings.SHITU_TOP_K,
        "search_k": settings.SHITU_SEARCH_K,
        "dedupe_iou": settings.SHITU_DEDUPE_IOU,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return RecognizerConfig(**values)


def crop_rule() -> CropRule:
    """Which part of a reference photo is embedded (``GALLERY_MAINBODY_CROP``, ``GALLERY_CROP_MIN_SCORE``)."""
    from recognition.engine.indexing import CropRule

    return CropRule(
        mainbody=settings.GALLERY_MAINBODY_CROP,
        min_score=settings.GALLERY_CROP_MIN_SCORE,
        min_size=settings.SHITU_MIN_BOX_SIZE,
    )


def gallery_options() -> dict:
    """``GalleryIndex`` keyword arguments for new indexes."""
    return {
        "kind": settings.SHITU_INDEX_KIND,
        "hnsw_m": settings.SHITU_HNSW_M,
        "ef_search": settings.SHITU_HNSW_EF_SEARCH,
        "nlist": settings.SHITU_IVF_NLIST or None,
        "nprobe": settings.SHITU_IVF_NPROBE,
    }
