"""Reference photos -> gallery vectors, and gallery index files built from labelled photos.

One crop rule for every reference photo (the live gallery's embedder and ``shitu build-index``
alike), after PaddleX's ``faisser``: building, appending and saving an index live in the
engine, the CLI only parses arguments and prints.  Label files use the PaddleClas layout
(``relative/path<TAB>label``); a catalog folder has ``catalog.csv`` with ``sku`` and ``image``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import postprocess, preprocess
from .images import ImageError, read_image
from .index import GalleryIndex


class EntryListError(ValueError):
    """A label file or catalog cannot be read (the message names the file and line)."""


@dataclass(frozen=True)
class CropRule:
    """Which part of a reference photo is embedded.

    By default the whole photo, as PP-ShiTu builds its galleries (reference photos are
    close-ups).  With ``mainbody`` the detector's best box scoring at least ``min_score``
    (and ``min_size`` px a side) is embedded instead, the whole photo when there is none:
    better for cluttered photos, at the cost of one detector pass per photo.
    """

    mainbody: bool = False
    min_score: float = 0.5
    min_size: float = 16.0


WHOLE_PHOTO = CropRule()


@dataclass(frozen=True)
class ReferenceEmbedding:
    vector: np.ndarray  # float32 [dim], L2-normalised
    model_version: str
    crop_box: tuple[float, float, float, float] | None  # mainbody box used, None for the whole photo


def reference_crop(detector, image: np.ndarray, rule: CropRule) -> tuple[float, float, float, float] | None:
    """The box of ``image`` that ``rule`` embeds, or None for the whole photo."""
    if not rule.mainbody:
        return None
    (rows,) = detector.detect([image])
    height, width = image.shape[:2]
    boxes, _, whole = postprocess.select_boxes(
        rows, image_size=(width, height), score_threshold=rule.min_score, max_det=1, min_size=rule.min_size
    )
    return None if whole else tuple(float(v) for v in boxes[0][:4])


def embed_references(models, images: list[np.ndarray], rule: CropRule) -> list[ReferenceEmbedding]:
    """Embed reference photos by ``rule`` in one feature pass (``models``: this thread's ``Models``)."""
    boxes = [reference_crop(models.detector, image, rule) for image in images]
    crops = [image if box is None else preprocess.crop(image, box) for image, box in zip(images, boxes, strict=True)]
    vectors = models.extractor.embed(crops)
    return [
        ReferenceEmbedding(vector, models.extractor.version, box) for vector, box in zip(vectors, boxes, strict=True)
    ]


@dataclass(frozen=True)
class Entry:
    id: int
    path: Path
    label: str


def read_label_file(label_file: str | os.PathLike) -> list[Entry]:
    """PaddleClas layout: ``relative/path<TAB>label`` per line (paths relative to the file; ``#`` comments)."""
    label_file = Path(label_file)
    try:
        text = label_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise EntryListError(f"cannot read {label_file}: {exc}") from None
    base = label_file.resolve().parent
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" not in line:
            raise EntryListError(f"{label_file}:{lineno}: expected path<TAB>label")
        path, label = line.split("\t", 1)
        out.append(Entry(lineno, base / path.strip(), label.strip()))
    return out


def read_catalog(folder: str | os.PathLike) -> list[Entry]:
    """``catalog.csv`` (columns ``sku`` and ``image``, image paths relative to the folder)."""
    path = Path(folder) / "catalog.csv"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise EntryListError(f"cannot read {path}: {exc}") from None
    if rows and not {"sku", "image"} <= set(rows[0]):
        raise EntryListError(f"{path}: needs sku and image columns")
    return [Entry(i, Path(folder) / row["image"], row["sku"]) for i, row in enumerate(rows, 1)]


def build_index(
    entries: Iterable[Entry],
    models,
    *,
    rule: CropRule = WHOLE_PHOTO,
    decode_limits: dict | None = None,
    on_error: Callable[[Entry, Exception], None] = lambda entry, exc: None,
    **index_options,
) -> GalleryIndex:
    """A ``GalleryIndex`` of the entries' photos, embedded by ``rule`` in batches of ``max_batch``.

    A photo that cannot be read is reported to ``on_error`` and skipped.  ``index_options``
    go to ``GalleryIndex`` (``kind``, ``hnsw_m``, ``nlist``, ...); an IVF index is trained on
    all the vectors at the end.
    """
    extractor = models.extractor
    gallery = GalleryIndex(extractor.dim, version=extractor.version, **index_options)
    batch: list[tuple[Entry, np.ndarray]] = []

    def flush() -> None:
        if batch:
            embedded = embed_references(models, [image for _, image in batch], rule)
            gallery.add([e.id for e, _ in batch], np.stack([r.vector for r in embedded]), [e.label for e, _ in batch])
            batch.clear()

    for entry in entries:
        try:
            batch.append((entry, read_image(entry.path, **(decode_limits or {}))))
        except (ImageError, OSError) as exc:
            on_error(entry, exc)
            continue
        if len(batch) >= extractor.max_batch:
            flush()
    flush()
    if gallery.kind == "ivf":
        gallery.rebuild()  # train the inverted lists on all the vectors
    return gallery
