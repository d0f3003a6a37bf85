"""Checkout rules: keep the customer's photo (EXIF stripped), price what was recognised from the
catalog, let the customer correct the cart, and order it.  Prices always come from the catalog."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, ImageOps

from accounts.models import Customer
from catalog.images import ImageRejected, inspect_image
from catalog.models import Product, Store
from orders import services as order_services
from orders.models import Order
from smart_container.errors import InvalidInput, NotFound

from .errors import CartLocked, UploadTooLarge
from .models import Recognition


# --- the photo
def resolve_store(code: str | None) -> Store:
    code = code or settings.CHECKOUT_DEFAULT_STORE
    store = Store.objects.filter(code=code, is_active=True).first()
    if store is None:
        raise InvalidInput(fields={"store": [gettext("No open store with code '%(code)s'.") % {"code": code}]})
    return store


def refuse_oversized(size: int) -> None:
    """413 for a photo over ``CHECKOUT_MAX_UPLOAD_BYTES``."""
    if size > settings.CHECKOUT_MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            fields={
                "image": [
                    gettext("The photo is %(size)d bytes; at most %(most)d.")
                    % {"size": size, "most": settings.CHECKOUT_MAX_UPLOAD_BYTES}
                ]
            }
        )


def clean_photo(data: bytes) -> tuple[bytes, int, int]:
    """The upload checked from its content, turned upright and re-encoded as JPEG without metadata."""
    refuse_oversized(len(data))
    try:
        inspect_image(data, max_pixels=settings.CHECKOUT_MAX_UPLOAD_PIXELS)
    except ImageRejected as exc:
        raise InvalidInput(
            fields={"image": [gettext("The photo was rejected: %(reason)s.") % {"reason": exc}]}
        ) from exc
    try:
        with Image.open(io.BytesIO(data)) as img:
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except Exception as exc:  # a decoder error inspect_image's pass did not hit (EXIF, palette, ...)
        raise InvalidInput(
            fields={"image": [gettext("The photo could not be decoded: %(reason)s.") % {"reason": exc}]}
        ) from exc
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=92)  # no exif= argument: nothing of the original metadata is kept
    return out.getvalue(), upright.width, upright.height


def create_recognition(*, customer: Customer, store: Store, data: bytes) -> Recognition:
    jpeg, width, height = clean_photo(data)
    recognition = Recognition(customer=customer, store=store, width=width, height=height)
    recognition.photo.save(f"{recognition.id}.jpg", ContentFile(jpeg), save=False)
    recognition.save()
    return recognition


# --- pricing
def _products(skus: set[str]) -> dict[str, Product]:
    return {p.sku: p for p in Product.objects.filter(sku__in=skus, is_active=True)}


def _alternatives(candidates: list[dict], products: dict[str, Product]) -> list[dict[str, Any]]:
    return [
        {
            "sku": c["label"],
            "name": products[c["label"]].name,
            "unit_price_fen": products[c["label"]].price_fen,
            "score": c["score"],
        }
        for c in candidates
        if c["label"] in products
    ]


def price_result(result: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """Cart lines and unknown items from the engine's ``RecognitionResult.to_dict()``.

    Lines are priced from the catalog now; a label that is no longer an active product turns
    its boxes into unknown items.  Every box gets an id the customer can refer to.
    """
    labels = {line["label"] for line in result.get("lines", [])}
    for item in [*result.get("lines", []), *result.get("unknown", [])]:
        for box in item.get("boxes", [item]):
            labels.update(c["label"] for c in box.get("candidates", []))
    products = _products(labels)
    next_id = iter(range(1, 10_000))
    lines: list[dict] = []
    unknown: list[dict] = []
    for line in result.get("lines", []):
        product = products.get(line["label"])
        boxes = []
        for box in line["boxes"]:
            entry = {"id": next(next_id), "box": box["box"], "score": box["score"], "unsure": box["unsure"]}
            entry["alternatives"] = _alternatives(box["candidates"], products) if box["unsure"] else []
            if product is None:
                unknown.append({**entry, "alternatives": _alternatives(box["candidates"], products)})
            else:
                boxes.append(entry)
        if product is not None:
            lines.append({"sku": product.sku, "quantity": len(boxes), "boxes": boxes, "source": "recognized"})
    for item in result.get("unknown", []):
        unknown.append(
            {
                "id": next(next_id),
                "box": item["box"],
                "score": item["score"],
                "unsure": True,
                "alternatives": _alternatives(item.get("candidates", []), products),
            }
        )
    return lines, unknown


def reprice(recognition: Recognition) -> None:
    """Put the catalog's current price, name and confidence on every line, the total, and
    whether any line is unsure (for the review queue)."""
    products = _products({line["sku"] for line in recognition.lines})
    lines = []
    for line in recognition.lines:
        product = products.get(line["sku"])
        if product is None or line["quantity"] < 1:
            continue
        scores = [box["score"] for box in line.get("boxes", [])]
        line.update(
            name=product.name,
            unit_price_fen=product.price_fen,
            subtotal_fen=product.price_fen * line["quantity"],
            confidence=min(scores) if scores else None,
            unsure=any(box.get("unsure") for box in line.get("boxes", [])),
        )
        lines.append(line)
    recognition.lines = lines
    recognition.total_fen = sum(line["subtotal_fen"] for line in lines)
    recognition.unsure = any(line["unsure"] for line in lines)
    scores = [box["score"] for line in lines for box in line.get("boxes", [])]
    scores += [max([a["score"] for a in item["alternatives"]], default=0.0) for item in recognition.unknown]
    recognition.min_confidence = min(scores) if scores else None


# --- corrections
def not_finished(recognition: Recognition) -> str:
    """Why a recognition that is not done has no cart to change or order yet."""
    if recognition.status == Recognition.Status.PENDING:
        return gettext("The photo is still being recognised; wait for its cart.")
    return gettext("This photo could not be recognised; take another photo.")


def _editable(recognition: Recognition) -> Recognition:
    locked = Recognition.objects.select_for_update().get(pk=recognition.pk)
    if locked.status != Recognition.Status.DONE:
        raise CartLocked(not_finished(locked))
    if locked.order_id is not None:
        raise CartLocked(gettext("This cart has already been ordered."))
    return locked


def _save_correction(recognition: Recognition, *, field: str | None) -> Recognition:
    """Reprice and save a corrected cart.  A correction that adds (``field`` names its input) and
    grows the cart past the largest order total is refused, and nothing is saved; a removal never is."""
    before = recognition.total_fen
    recognition.corrected = True
    reprice(recognition)
    if field is not None and recognition.total_fen > before:
        order_services.refuse_over_total(recognition.total_fen, field=field)
    recognition.save(
        update_fields=["lines", "unknown", "total_fen", "min_confidence", "unsure", "corrected", "updated_at"]
    )
    return recognition


def _find_line(recognition: Recognition, sku: str) -> dict:
    for line in recognition.lines:
        if line["sku"] == sku:
            return line
    raise NotFound(gettext("No line for SKU %(sku)s in this cart.") % {"sku": sku})


def _add_to(line: dict, quantity: int) -> None:
    """Grow a cart line, never past what one order line may hold."""
    if line["quantity"] + quantity > order_services.MAX_QUANTITY:
        message = gettext("%(sku)s: at most %(most)d in one cart.") % {
            "sku": line["sku"],
            "most": order_services.MAX_QUANTITY,
        }
        raise InvalidInput(fields={"quantity": [message]})
    line["quantity"] += quantity


@transaction.atomic
def set_quantity(recognition: Recognition, sku: str, quantity: int) -> Recognition:
    """Change a line's quantity; 0 removes it."""
    recognition = _editable(recognition)
    line = _find_line(recognition, sku)
    if quantity == 0:
        recognition.lines = [ln for ln in recognition.lines if ln["sku"] != sku]
    else:
        line["quantity"] = quantity
    return _save_correction(recognition, field="quantity" if quantity else None)


@transaction.atomic
def add_item(recognition: Recognition, *, sku: str = "", barcode: str = "", quantity: int = 1) -> Recognition:
    """Add a product the camera missed, by SKU or by barcode."""
    recognition = _editable(recognition)
    product = _on_sale(sku=sku, barcode=barcode)
    existing = next((ln for ln in recognition.lines if ln["sku"] == product.sku), None)
    if existing is not None:
        _add_to(existing, quantity)
    else:
        recognition.lines.append({"sku": product.sku, "quantity": quantity, "boxes": [], "source": "added"})
    return _save_correction(recognition, field="quantity")


NO_PRODUCT_WITH = {
    "sku": gettext_lazy("No product on sale with sku '%(value)s'."),
    "barcode": gettext_lazy("No product on sale with barcode '%(value)s'."),
}


def _on_sale(*, sku: str = "", barcode: str = "") -> Product:
    lookup = {"sku": sku} if sku else {"barcode": barcode}
    product = Product.objects.filter(is_active=True, **lookup).first()
    if product is None:
        field, value = next(iter(lookup.items()))
        message = NO_PRODUCT_WITH[field] % {"value": value}
        raise InvalidInput(fields={field: [message]})
    return product


def _find_box(recognition: Recognition, box_id: int) -> tuple[dict, dict | None]:
    """Box ``box_id`` and the cart line it counts in (None for an unknown item)."""
    for line in recognition.lines:
        for box in line.get("boxes", []):
            if box["id"] == box_id:
                return box, line
    box = next((item for item in recognition.unknown if item["id"] == box_id), None)
    if box is None:
        raise NotFound(gettext("No box %(box)s in this recognition.") % {"box": box_id})
    return box, None


def _take_out(recognition: Recognition, box: dict, owner: dict | None) -> None:
    """Remove a box from where it counts: its line (one fewer) or the unknown items."""
    if owner is not None:
        owner["boxes"].remove(box)
        owner["quantity"] -= 1
        recognition.lines = [ln for ln in recognition.lines if ln["quantity"] > 0]
    else:
        recognition.unknown = [item for item in recognition.unknown if item["id"] != box["id"]]


@transaction.atomic
def choose_alternative(recognition: Recognition, box_id: int, sku: str = "", barcode: str = "") -> Recognition:
    """The customer says box ``box_id`` is really this product: one of the box's alternatives,
    or, for an item nothing matched, any product on sale (picked by SKU or barcode)."""
    recognition = _editable(recognition)
    box, owner = _find_box(recognition, box_id)
    if owner is None:
        sku = _on_sale(sku=sku, barcode=barcode).sku
    elif sku not in {alt["sku"] for alt in box.get("alternatives", [])}:
        offered = sku or barcode
        message = gettext("%(sku)s is not one of the alternatives for box %(box)s.") % {"sku": offered, "box": box_id}
        raise InvalidInput(fields={"sku": [message]})
    _take_out(recognition, box, owner)
    chosen = {**box, "unsure": False, "alternatives": []}
    target = next((ln for ln in recognition.lines if ln["sku"] == sku), None)
    if target is None:
        recognition.lines.append({"sku": sku, "quantity": 1, "boxes": [chosen], "source": "chosen"})
    else:
        _add_to(target, 1)
        target["boxes"].append(chosen)
    return _save_correction(recognition, field="sku")


@transaction.atomic
def remove_box(recognition: Recognition, box_id: int) -> Recognition:
    """The customer is not buying what box ``box_id`` shows: an unknown item, or one counted twice."""
    recognition = _editable(recognition)
    box, owner = _find_box(recognition, box_id)
    _take_out(recognition, box, owner)
    return _save_correction(recognition, field=None)


# --- ordering
@transaction.atomic
def place_order(
    *, customer: Customer, lines: list[dict] | None = None, recognition=None, store: str | None = None
) -> Order:
    """Order ``lines`` (SKU and quantity only), or else the recognition's current cart, for
    ``customer``; priced and reserved by orders.services."""
    rec = None
    if recognition is not None:
        rec = Recognition.objects.select_for_update().filter(pk=recognition, customer=customer).first()
        if rec is None:
            raise InvalidInput(fields={"recognition": [gettext("No such recognition of yours.")]})
        if rec.order_id is not None and rec.order.status != Order.Status.CLOSED:
            raise CartLocked(gettext("This cart has already been ordered."))
    if lines is None:
        if rec is None:
            raise InvalidInput(fields={"lines": [gettext("Give the lines to order, or the recognition to order.")]})
        if rec.status != Recognition.Status.DONE:
            raise CartLocked(not_finished(rec))
        lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in rec.lines]
        if not lines:
            raise InvalidInput(fields={"recognition": [gettext("This cart is empty: add an item first.")]})
    target_store = rec.store if rec is not None and not store else resolve_store(store)
    requested = [order_services.LineRequest(line["sku"], line["quantity"]) for line in lines]
    order = order_services.create_order(customer=customer, store=target_store, lines=requested)
    if rec is not None:
        ordered = {line.sku: line.quantity for line in requested}
        rec.corrected = rec.corrected or ordered != {ln["sku"]: ln["quantity"] for ln in rec.lines}
        rec.order = order
        rec.save(update_fields=["order", "corrected", "updated_at"])
    return order
