"""Official PP-ShiTuV2 archives (the models, and the demo gallery published beside them):
registry, download, verification and safe extraction.

``fetch_model(name, cache_dir, base_url=..., expected_sha256=None)`` downloads
``<base_url>/<path>`` with a progress bar (streamed, with a timeout) to a temporary file,
verifies it, extracts it into ``cache_dir`` refusing unsafe members, and records what was
accepted in ``<cache_dir>/<folder>/.shitu-model.json`` (url, archive sha256, whether it was
checked against a published/configured checksum).  A second call finds that record and the
model files and does nothing.

Verification: the published SHA-256 (registry) or a configured one must match.  When no
checksum is known (the detector's is not published), the archive must at least have the
expected structure (``inference.pdiparams`` and a graph file in the expected folder), and
its sha256 is recorded so operators can pin it (``SHITU_DET_SHA256``).

``fetch_demo_gallery(cache_dir, base_url=...)`` does the same for PaddleClas's demo gallery
(``drink_dataset_v2.0``: ``gallery/`` photos and ``gallery/drink_label.txt``).  Every failure
is a ``ModelDownloadError`` with a one-line message naming the URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = "https://paddle-imagenet-models-name.bj.bcebos.com"
RECORD_FILE = ".shitu-model.json"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # "detector" or "extractor"
    path: str  # archive path under the base URL
    folder: str  # top-level folder inside the archive
    sha256: str | None  # published checksum, if any

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{self.path.lstrip('/')}"


REGISTRY: dict[str, ModelSpec] = {
    "detector": ModelSpec(
        name="detector",
        path="dygraph/rec/models/inference/picodet_PPLCNet_x2_5_mainbody_lite_v1.0_infer.tar",
        folder="picodet_PPLCNet_x2_5_mainbody_lite_v1.0_infer",
        sha256=None,  # not published; pin it with a setting once known
    ),
    "extractor": ModelSpec(
        name="extractor",
        path="dygraph/rec/models/inference/PP-ShiTuV2/general_PPLCNetV2_base_pretrained_v1.0_infer.tar",
        folder="general_PPLCNetV2_base_pretrained_v1.0_infer",
        sha256="b55f63f2f93eb42b0ff232154180f5e54d99da0891a200a2439d7a0a0ef8c026",
    ),
}


# PaddleClas's PP-ShiTuV2 demo gallery (drinks), on the same host as the models.
DEMO_GALLERY = ModelSpec(
    name="demo-gallery",
    path="dygraph/rec/data/drink_dataset_v2.0.tar",
    folder="drink_dataset_v2.0",
    sha256=None,  # not published
)
DEMO_GALLERY_IMAGES = "gallery"  # the image root the label file's paths are relative to
DEMO_GALLERY_LABELS = "gallery/drink_label.txt"


class ModelDownloadError(RuntimeError):
    """Download, verification or extraction failed (nothing was installed)."""


@dataclass
class FetchResult:
    name: str
    folder: Path
    sha256: str
    verified: str  # "checksum" (matched a known sha256) or "structure" (no checksum known)
    downloaded: bool  # False: already present, nothing done


def model_folder(name: str, cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / REGISTRY[name].folder


def is_installed(name: str, cache_dir: str | os.PathLike, expected_sha256: str | None = None) -> bool:
    return _is_installed(model_folder(name, cache_dir), has_model_files, expected_sha256)


def _is_installed(folder: Path, complete: Callable[[Path], bool], expected_sha256: str | None) -> bool:
    record = folder / RECORD_FILE
    if not record.is_file() or not complete(folder):
        return False
    if expected_sha256:
        try:
            return json.loads(record.read_text()).get("sha256") == expected_sha256.lower()
        except ValueError:
            return False
    return True


def has_model_files(folder: Path) -> bool:
    """The folder holds a Paddle inference model (either graph format and its weights)."""
    graph = (folder / "inference.pdmodel").is_file() or (folder / "inference.json").is_file()
    return graph and (folder / "inference.pdiparams").is_file()


def _has_demo_gallery(folder: Path) -> bool:
    return (folder / DEMO_GALLERY_LABELS).is_file()


def fetch_model(
    name: str,
    cache_dir: str | os.PathLike,
    *,
    base_url: str = DEFAULT_BASE_URL,
    expected_sha256: str | None = None,
    timeout: float = 60.0,
    progress: bool = True,
    force: bool = False,
) -> FetchResult:
    """Download, verify and extract one registered model; idempotent (see the module doc)."""
    if name not in REGISTRY:
        raise ModelDownloadError(f"unknown model {name!r}; known: {', '.join(REGISTRY)}")
    return _fetch_archive(
        REGISTRY[name],
        Path(cache_dir),
        base_url=base_url,
        expected_sha256=expected_sha256,
        timeout=timeout,
        progress=progress,
        force=force,
        complete=has_model_files,
        content="inference.pdiparams with inference.pdmodel or inference.json",
        skip_links=False,
    )


def fetch_demo_gallery(
    cache_dir: str | os.PathLike,
    *,
    base_url: str = DEFAULT_BASE_URL,
    expected_sha256: str | None = None,
    timeout: float = 60.0,
    progress: bool = True,
    force: bool = False,
) -> FetchResult:
    """Download and extract PaddleClas's demo gallery (see ``DEMO_GALLERY``); idempotent.

    Photos are data, not code: links and special files in the archive are skipped, not
    refused; members escaping the folder still refuse the whole archive.
    """
    return _fetch_archive(
        DEMO_GALLERY,
        Path(cache_dir),
        base_url=base_url,
        expected_sha256=expected_sha256,
        timeout=timeout,
        progress=progress,
        force=force,
        complete=_has_demo_gallery,
        content=DEMO_GALLERY_LABELS,
        skip_links=True,
    )


def describe_request_error(exc: Exception, timeout: float) -> str:
    """A one-line reason for a failed HTTP request (requests' own messages run to several lines)."""
    import requests

    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return "the host name cannot be resolved (no internet?)"
        if "Connection refused" in text:
            return "connection refused"
        return "cannot connect (no internet?)"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": ")


def _fetch_archive(
    spec: ModelSpec,
    cache: Path,
    *,
    base_url: str,
    expected_sha256: str | None,
    timeout: float,
    progress: bool,
    force: bool,
    complete: Callable[[Path], bool],
    content: str,
    skip_links: bool,
) -> FetchResult:
    import requests
    from tqdm import tqdm

    expected = (expected_sha256 or spec.sha256 or "").lower() or None
    folder = cache / spec.folder
    if not force and _is_installed(folder, complete, expected):
        recorded = json.loads((folder / RECORD_FILE).read_text())
        return FetchResult(spec.name, folder, recorded["sha256"], recorded["verified"], downloaded=False)
    url = spec.url(base_url)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=cache, prefix=f".{spec.folder}.", suffix=".tar.part")
    except OSError as exc:
        raise ModelDownloadError(f"{url}: cannot write into {cache}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        try:
            with requests.get(url, stream=True, timeout=timeout) as resp:
                if resp.status_code != 200:
                    raise ModelDownloadError(f"{url}: HTTP {resp.status_code}")
                total = int(resp.headers.get("Content-Length") or 0) or None
                with (
                    os.fdopen(fd, "wb") as out,
                    tqdm(
                        total=total, unit="B", unit_scale=True, desc=spec.folder, disable=not progress, leave=False
                    ) as bar,
                ):
                    fd = None
                    for block in resp.iter_content(chunk_size=1 << 16):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
        except requests.RequestException as exc:
            raise ModelDownloadError(f"{url}: download failed: {describe_request_error(exc, timeout)}") from None
        sha = digest.hexdigest()
        if expected and sha != expected:
            raise ModelDownloadError(f"{url}: sha256 {sha} does not match the expected {expected}")
        staging = Path(tempfile.mkdtemp(dir=cache, prefix=f".{spec.folder}.extract."))
        try:
            try:
                safe_extract(tmp, staging, skip_links=skip_links)
            except ModelDownloadError as exc:
                raise ModelDownloadError(f"{url}: {exc}") from None
            extracted = staging / spec.folder
            if not complete(extracted):
                raise ModelDownloadError(f"{url}: archive lacks {spec.folder}/{content}")
            record = {
                "name": spec.name,
                "url": url,
                "sha256": sha,
                "verified": "checksum" if expected else "structure",
                "expected_sha256": expected,
            }
            (extracted / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n")
            if folder.exists():
                shutil.rmtree(folder)
            extracted.rename(folder)  # atomic on one filesystem
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return FetchResult(spec.name, folder, sha, record["verified"], downloaded=True)
    finally:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def safe_extract(archive: str | os.PathLike, target: str | os.PathLike, *, skip_links: bool = False) -> list[str]:
    """Extract a tar into ``target``, refusing absolute paths, ``..``, links and special files
    (with ``skip_links``, links and special files are left out instead).

    Everything is checked before anything is written.  Returns the extracted member names.
    """
    target = Path(target).resolve()
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ModelDownloadError(f"not a valid tar archive: {exc}") from None
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ModelDownloadError(f"corrupt tar archive: {exc}") from None
        for m in members:
            name = m.name
            normalised = posixpath.normpath(name)
            if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
                raise ModelDownloadError(f"unsafe archive member {name!r}: absolute path")
            if normalised == ".." or normalised.startswith("../") or "/../" in f"/{normalised}/":
                raise ModelDownloadError(f"unsafe archive member {name!r}: escapes the target folder")
            if not (target / normalised).resolve().is_relative_to(target):
                raise ModelDownloadError(f"unsafe archive member {name!r}: escapes the target folder")
            if skip_links and not (m.isfile() or m.isdir()):
                continue
            if m.issym() or m.islnk():
                raise ModelDownloadError(f"unsafe archive member {name!r}: links are not allowed in a model archive")
            if not (m.isfile() or m.isdir()):
                raise ModelDownloadError(f"unsafe archive member {name!r}: device, fifo or other special file")
        if skip_links:
            members = [m for m in members if m.isfile() or m.isdir()]
        try:
            tar.extractall(target, members=members, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ModelDownloadError(f"corrupt tar archive: {exc}") from None
    return [m.name for m in members]
