"""Catalog business rules: prices change only through here, so history is never skipped."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from .images import inspect_image
from .models import PriceChange, Product, ProductImage


@transaction.atomic
def create_product(*, changed_by=None, source: str = "api", **fields) -> Product:
    """Create a product and record its first price."""
    product = Product(**fields)
    product.full_clean()
    product.save()
    PriceChange.objects.create(
        product=product, old_price_fen=None, new_price_fen=product.price_fen, changed_by=changed_by, source=source
    )
    return product


@transaction.atomic
def update_product(product: Product, *, changed_by=None, source: str = "api", **fields) -> Product:
    """Update a product; a price change is written to the history in the same transaction."""
    locked = Product.objects.select_for_update().get(pk=product.pk)
    old_price = locked.price_fen
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    if locked.price_fen != old_price:
        PriceChange.objects.create(
            product=locked,
            old_price_fen=old_price,
            new_price_fen=locked.price_fen,
            changed_by=changed_by,
            source=source,
        )
    return locked


def set_price(product: Product, price_fen: int, *, changed_by=None, source: str = "api") -> Product:
    return update_product(product, price_fen=price_fen, changed_by=changed_by, source=source)


@dataclass(frozen=True)
class AddedImage:
    image: ProductImage
    created: bool


def add_product_image(product: Product, data: bytes, name: str) -> AddedImage:
    """Attach a reference photo once: the same bytes for the same product are not stored twice.

    Raises ``ImageRejected`` when ``data`` is not a whole, sane image; nothing is stored then.
    """
    info = inspect_image(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = ProductImage.objects.filter(product=product, sha256=digest).first()
    if existing is not None:
        return AddedImage(existing, created=False)
    with transaction.atomic():
        image = ProductImage(product=product, sha256=digest, width=info.width, height=info.height)
        image.image.save(f"{Path(name).stem}.{info.extension}", ContentFile(data), save=False)
        image.save()
    return AddedImage(image, created=True)
