"""Load a catalog folder (``catalog.csv`` + photos) into the database, idempotently.

The format is the one of ``shared/datasets/retail_catalog``: columns ``sku,name,price,image``
with the price in yuan and the image path relative to the folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from . import services
from .images import ImageRejected
from .models import MAX_PRICE_FEN, Product, Store

REQUIRED_COLUMNS = ("sku", "name", "price", "image")
MAX_PHOTO_BYTES = 20 * 1024 * 1024


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    photos_added: int = 0
    photos_present: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"products: {self.created} created, {self.updated} updated, {self.unchanged} unchanged; "
            f"photos: {self.photos_added} added, {self.photos_present} already present; "
            f"skipped: {len(self.skipped)}"
        )


class CatalogFolderError(ValueError):
    """The folder as a whole cannot be imported (no catalog.csv, wrong columns)."""


def yuan_to_fen(text: str) -> int:
    """'12.5' -> 1250.  Refuses negatives, sub-fen fractions and anything not a number."""
    try:
        yuan = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"price {text!r} is not a number") from exc
    if not yuan.is_finite() or yuan < 0:
        raise ValueError(f"price {text!r} must be a non-negative amount in yuan")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"price {text!r} has a fraction of a fen")
    if fen > MAX_PRICE_FEN:
        raise ValueError(f"price {text!r} is above the {MAX_PRICE_FEN // 100} yuan limit")
    return int(fen)


def ensure_store(code: str, name: str | None = None) -> Store:
    store, _ = Store.objects.get_or_create(code=code, defaults={"name": name or f"Store {code}"})
    return store


def import_catalog(folder: Path, *, initial_stock: int = 100, user=None) -> ImportReport:
    """Create or update one product per row and attach its photo once."""
    csv_path = folder / "catalog.csv"
    if not csv_path.is_file():
        raise CatalogFolderError(f"{csv_path} not found")
    report = ImportReport()
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CatalogFolderError(f"catalog.csv lacks column(s): {', '.join(missing)}")
        for line_no, row in enumerate(reader, start=2):
            _import_row(folder, row, line_no, initial_stock, user, report)
    return report


def _import_row(folder: Path, row: dict, line_no: int, initial_stock: int, user, report: ImportReport) -> None:
    sku, name = (row.get("sku") or "").strip(), (row.get("name") or "").strip()
    where = f"line {line_no} ({sku or 'no sku'})"
    try:
        price_fen = yuan_to_fen(row.get("price") or "")
    except ValueError as exc:
        report.skipped.append(f"{where}: {exc}")
        return
    try:
        with transaction.atomic():
            product = Product.objects.filter(sku=sku).first()
            if product is None:
                product = services.create_product(
                    sku=sku, name=name, price_fen=price_fen, stock=initial_stock, changed_by=user, source="import"
                )
                report.created += 1
            elif (product.name, product.price_fen) != (name, price_fen):
                product = services.update_product(
                    product, name=name, price_fen=price_fen, changed_by=user, source="import"
                )
                report.updated += 1
            else:
                report.unchanged += 1
    except ValidationError as exc:
        report.skipped.append(f"{where}: {'; '.join(exc.messages)}")
        return

    attach_photo(product, folder, (row.get("image") or "").strip(), where, report)


def attach_photo(product: Product, folder: Path, relative: str, where: str, report: ImportReport) -> None:
    """Add the photo at ``folder/relative`` to ``product`` once, counting or reporting the outcome."""
    image_path = (folder / relative).resolve()
    if not image_path.is_relative_to(folder.resolve()) or not image_path.is_file():
        report.skipped.append(f"{where}: photo {relative!r} not found in the folder {folder}")
        return
    data = image_path.read_bytes()[: MAX_PHOTO_BYTES + 1]
    try:
        if len(data) > MAX_PHOTO_BYTES:
            raise ImageRejected(f"photo is larger than {MAX_PHOTO_BYTES} bytes")
        added = services.add_product_image(product, data, image_path.name)
    except ImageRejected as exc:
        report.skipped.append(f"{where}: photo {relative!r} skipped: {exc}")
        return
    if added.created:
        report.photos_added += 1
    else:
        report.photos_present += 1
