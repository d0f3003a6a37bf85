"""The review queue: checkout photos the recognizer was unsure of, or the customer corrected.

A reviewer sees the photo with its boxes and can add any box's crop to a product's gallery
(gallery.services.add_crop), so the next photo of that product is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from catalog.models import Product
from checkout.models import Recognition
from gallery import services as gallery_services
from smart_container.errors import InvalidInput

from .models import RecognitionReview


def review_queue(min_score: float) -> QuerySet[Recognition]:
    """Unreviewed finished recognitions with a low score, an unknown item, or a customer correction."""
    flagged = Q(min_confidence__lt=min_score) | Q(corrected=True) | ~Q(unknown=[])
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


def add_box_to_gallery(recognition: Recognition, box_index: int, product: Product, *, actor) -> bool:
    """Crop box ``box_index`` of the photo into ``product``'s gallery.  True if a new photo was stored."""
    boxes = review_boxes(recognition)
    if not 0 <= box_index < len(boxes):
        raise InvalidInput(fields={"box": [f"This photo has no box {box_index}."]})
    with recognition.photo.open("rb") as fh:
        photo = fh.read()
    added = gallery_services.add_crop(
        product, photo, boxes[box_index].box, actor=actor, name=f"review-{recognition.pk.hex[:12]}-{box_index}.jpg"
    )
    return added.created


def mark_reviewed(recognition: Recognition, *, reviewer) -> RecognitionReview:
    review, _ = RecognitionReview.objects.get_or_create(recognition=recognition, defaults={"reviewed_by": reviewer})
    return review
