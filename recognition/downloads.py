"""Fetching the official models and the PP-ShiTuV2 demo gallery with the project's settings.

``shitu fetch-models`` and ``rundemo`` both come through here.  A failure is one line naming
the URL and how to point the product at a local copy instead, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from recognition import conf
from recognition.engine import model_store

MODELS_LOCAL_COPY = (
    "for a local copy set SHITU_MODEL_CACHE to a folder holding both model folders (e.g. ../shared/models), "
    "or SHITU_MODEL_BASE_URL to a mirror of the download host"
)


class DownloadFailed(RuntimeError):
    """A download could not be done; the message is one line, fit to show a user as it is."""


def base_url() -> str:
    return settings.SHITU_MODEL_BASE_URL


def fetch_models(
    *, cache: Path | None = None, url: str | None = None, only: str | None = None, force=False, progress=True
) -> list[model_store.FetchResult]:
    """Download, verify and install the detector and feature extractor (idempotent)."""
    cache = Path(cache or settings.SHITU_MODEL_CACHE)
    names = [only] if only else list(model_store.REGISTRY)
    expected = conf.expected_sha256()
    results = []
    for name in names:
        try:
            results.append(
                model_store.fetch_model(
                    name,
                    cache,
                    base_url=url or base_url(),
                    expected_sha256=expected[name],
                    timeout=settings.SHITU_DOWNLOAD_TIMEOUT,
                    progress=progress,
                    force=force,
                )
            )
        except model_store.ModelDownloadError as exc:
            raise DownloadFailed(f"{name}: {exc}; {MODELS_LOCAL_COPY}") from None
    return results


def describe(result: model_store.FetchResult) -> str:
    if not result.downloaded:
        return f"{result.name}: already present at {result.folder} (sha256 {result.sha256}); nothing to do"
    how = "checksum verified" if result.verified == "checksum" else "structure verified, no published checksum"
    return f"{result.name}: installed {result.folder} (sha256 {result.sha256}; {how})"


def demo_data_dir() -> Path:
    return Path(settings.VAR_DIR) / "datasets"


def fetch_demo_gallery(*, local_copy_hint: str, progress: bool = True) -> tuple[Path, Path]:
    """PaddleClas's demo gallery, downloaded once into ``var/datasets``: (image root, label file)."""
    try:
        result = model_store.fetch_demo_gallery(
            demo_data_dir(), base_url=base_url(), timeout=settings.SHITU_DOWNLOAD_TIMEOUT, progress=progress
        )
    except model_store.ModelDownloadError as exc:
        raise DownloadFailed(f"demo gallery: {exc}; {local_copy_hint}") from None
    return result.folder / model_store.DEMO_GALLERY_IMAGES, result.folder / model_store.DEMO_GALLERY_LABELS
