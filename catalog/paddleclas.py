"""Load a gallery in PaddleClas's layout (an image folder plus a label file) as products with photos.

Stores moving from PaddleClas have exactly this (``IndexProcess.image_root`` and
``IndexProcess.data_file``): one line per photo, ``relative/path<TAB>label``, the path
relative to the image folder.  Each label becomes one product; its photos become the
product's reference photos.  PaddleClas has no prices, so this is demo data: a new product
gets a stable demo price and the demo category.  A label that is a valid SKU names that
product; any other label (a name, often Chinese) gets a stable SKU made from it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from . import services
from .importer import CatalogFolderError, ImportReport, attach_photo
from .models import SKU_VALIDATOR, Category, Product

DEMO_CATEGORY = "Demo data"
DEMO_CATEGORY_SLUG = "demo-data"
MAX_NAME = 200


def label_sku(label: str) -> str:
    """The label itself when it is a SKU, else ``PC-`` and ten hex digits of its SHA-1."""
    try:
        SKU_VALIDATOR(label)
        return label
    except ValidationError:
        return "PC-" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:10].upper()


def demo_price_fen(label: str) -> int:
    """A plausible shop price (3.00 to 15.00 yuan in 0.50 steps), the same for a label every time."""
    return 300 + int(hashlib.sha256(label.encode("utf-8")).hexdigest()[:8], 16) % 25 * 50


def default_label_file(image_root: Path) -> Path:
    """The one ``*.txt`` in the image folder (PaddleClas keeps ``drink_label.txt`` there)."""
    candidates = sorted(image_root.glob("*.txt"))
    if len(candidates) != 1:
        raise CatalogFolderError(
            f"give the label file with --label-file: {image_root} has {len(candidates)} .txt files, not one"
        )
    return candidates[0]


def read_labels(label_file: Path, report: ImportReport) -> dict[str, list[tuple[int, str]]]:
    """label -> [(line number, relative photo path)], in file order; bad lines go to ``report.skipped``."""
    if not label_file.is_file():
        raise CatalogFolderError(f"label file {label_file} not found")
    photos: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with label_file.open(encoding="utf-8-sig") as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            path, sep, label = line.partition("\t")
            if not sep:  # some editors turn the tab into spaces
                path, _, label = line.partition(" ")
            path, label = path.strip(), label.strip()
            if not path or not label:
                report.skipped.append(f"{label_file.name} line {line_no}: expected 'relative/path<TAB>label'")
                continue
            photos[label].append((line_no, path))
    if not photos:
        raise CatalogFolderError(f"label file {label_file} names no photos")
    return photos


def _demo_category() -> Category:
    category, _ = Category.objects.get_or_create(slug=DEMO_CATEGORY_SLUG, defaults={"name": DEMO_CATEGORY})
    return category


def import_paddleclas_gallery(
    image_root: Path, label_file: Path | None = None, *, initial_stock: int = 100, user=None
) -> ImportReport:
    """One product per label (created once, demo-priced), each photo attached once."""
    if not image_root.is_dir():
        raise CatalogFolderError(f"gallery folder {image_root} not found")
    report = ImportReport()
    labels = read_labels(label_file or default_label_file(image_root), report)
    category = _demo_category()
    for label, photos in labels.items():
        sku = label_sku(label)
        where = f"label {label!r} ({sku})"
        try:
            with transaction.atomic():
                product = Product.objects.filter(sku=sku).first()
                if product is None:
                    product = services.create_product(
                        sku=sku,
                        name=label[:MAX_NAME],
                        price_fen=demo_price_fen(label),
                        stock=initial_stock,
                        category=category,
                        changed_by=user,
                        source="demo",
                    )
                    report.created += 1
                else:
                    report.unchanged += 1  # prices and names set since are the store's: kept
        except ValidationError as exc:
            report.skipped.append(f"{where}: {'; '.join(exc.messages)}")
            continue
        for line_no, relative in photos:
            attach_photo(product, image_root, relative, f"{where} line {line_no}", report)
    return report
