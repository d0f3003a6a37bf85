"""The review queue: checkout photos the recognizer was unsure of (a low score, a close
runner-up, an unknown item), or the customer corrected.

A reviewer sees the photo with its boxes and can add any box's crop to a product's gallery
(gallery.services.add_crop), so the next photo of that product is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext

from catalog.models import Product, ProductImage
from checkout.models import Recognition
from gallery import services as gallery_services
from smart_container.errors import InvalidInput

from .models import RecognitionReview


def review_queue(min_score: float) -> QuerySet[Recognition]:
    """Unreviewed finished recognitions with a low score, a line the engine was unsure of, an
    unknown item, or a customer correction."""
    flagged = Q(min_confidence__lt=min_score) | Q(unsure=True) | Q(corrected=True) | ~Q(unknown=[])
    return (
        Recognition.objects.filter(status=Recognition.Status.DONE, review__isnull=True)
        .filter(flagged)
        .select_related("store")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class ReviewBox:
    index: int
    box: tuple[float, float, float, float]
    label: str  # matched SKU, "" when unknown
    score: float
    candidates: list[dict]

    @property
    def known(self) -> bool:
        return bool(self.label)

    @property
    def suggestion(self) -> str:
        """The SKU to offer first: the match, else the best candidate."""
        return self.label or (self.candidates[0]["label"] if self.candidates else "")

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def review_boxes(recognition: Recognition) -> list[ReviewBox]:
    """Every box of the recognizer's answer, matched first, numbered stably."""
    result = recognition.result or {}
    boxes: list[ReviewBox] = []
    for line in result.get("lines", []):
        for match in line.get("boxes", []):
            boxes.append(
                ReviewBox(len(boxes), tuple(match["box"]), line["label"], match["score"], match.get("candidates", []))
            )
    for item in result.get("unknown", []):
        boxes.append(ReviewBox(len(boxes), tuple(item["box"]), "", item["score"], item.get("candidates", [])))
    return boxes


@dataclass(frozen=True)
class Candidate:
    """A product the reviewer may pick for a box: what it is called and looks like, and its score."""

    sku: str
    name: str
    score: float
    photo: str  # storage name of its first reference photo, "" if it has none


@dataclass(frozen=True)
class ReviewItem:
    box: ReviewBox
    match_name: str
    candidates: list[Candidate]


def review_items(recognition: Recognition, boxes: list[ReviewBox]) -> list[ReviewItem]:
    """Each box with its candidates as products (best score per SKU, the match first), one query."""
    skus = {c["label"] for b in boxes for c in b.candidates} | {b.label for b in boxes if b.label}
    first_photo = ProductImage.objects.filter(product=OuterRef("pk")).order_by("id").values("image")[:1]
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus).annotate(first_photo=Subquery(first_photo))}
    items = []
    for b in boxes:
        best: dict[str, float] = {}
        if b.label:
            best[b.label] = b.score
        for c in b.candidates:
            best[c["label"]] = max(best.get(c["label"], 0.0), c["score"])
        ranked = sorted(best.items(), key=lambda kv: (kv[0] != b.label, -kv[1]))
        candidates = [
            Candidate(sku, products[sku].name, score, products[sku].first_photo or "")
            for sku, score in ranked
            if sku in products
        ]
        match = products.get(b.label)
        items.append(ReviewItem(b, match.name if match else "", candidates))
    return items


def add_box_to_gallery(recognition: Recognition, box_index: int, product: Product, *, actor) -> bool:
    """Crop box ``box_index`` of the photo into ``product``'s gallery.  True if a new photo was stored."""
    boxes = review_boxes(recognition)
    if not 0 <= box_index < len(boxes):
        raise InvalidInput(fields={"box": [gettext("This photo has no box %(box)s.") % {"box": box_index}]})
    with recognition.photo.open("rb") as fh:
        photo = fh.read()
    added = gallery_services.add_crop(
        product, photo, boxes[box_index].box, actor=actor, name=f"review-{recognition.pk.hex[:12]}-{box_index}.jpg"
    )
    return added.created


def mark_reviewed(recognition: Recognition, *, reviewer) -> RecognitionReview:
    review, _ = RecognitionReview.objects.get_or_create(recognition=recognition, defaults={"reviewed_by": reviewer})
    return review
