"""Django-side view of the recognition settings (the engine itself never imports Django)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def model_dirs() -> dict[str, Path | None]:
    """Where the detector and feature-extractor folders are, if configured."""
    return {
        "detector": Path(settings.SHITU_DET_MODEL_DIR) if settings.SHITU_DET_MODEL_DIR else None,
        "extractor": Path(settings.SHITU_REC_MODEL_DIR) if settings.SHITU_REC_MODEL_DIR else None,
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
