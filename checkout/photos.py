"""Customers' checkout photos are private: stored outside the public media root, read only through
the ``recognition-photo`` view (their customer, staff, or a signed link that expires).

A browser's ``<img>`` and the mini-program's ``<image>`` cannot send a Bearer token, so the API
answers each recognition with a link signed for that recognition, valid for
``CHECKOUT_PHOTO_LINK_SECONDS``; without a valid signature the view wants the customer's token or
a staff login.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.translation import gettext

from smart_container.errors import NotFound

SALT = "checkout.recognition-photo"


def photo_root() -> Path:
    """Where checkout photos are kept: ``CHECKOUT_PHOTO_ROOT``, or ``checkout_photos`` beside MEDIA_ROOT."""
    return Path(settings.CHECKOUT_PHOTO_ROOT or Path(settings.MEDIA_ROOT).parent / "checkout_photos")


class CheckoutPhotoStorage(FileSystemStorage):
    """File storage at ``photo_root()`` (read per call, so settings overrides apply) with no public URL."""

    @property
    def base_location(self) -> str:
        return str(photo_root())

    @property
    def location(self) -> str:
        return str(photo_root().resolve())

    @property
    def base_url(self) -> None:
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Checkout photos have no public URL: use the recognition-photo view.")


checkout_photo_storage = CheckoutPhotoStorage()


def photo_storage() -> CheckoutPhotoStorage:
    """The storage of ``Recognition.photo`` (a callable, so migrations name it rather than copy it)."""
    return checkout_photo_storage


def sign(recognition_id: object) -> str:
    """A signature for one recognition's photo; ``verify`` accepts it for CHECKOUT_PHOTO_LINK_SECONDS."""
    return signing.TimestampSigner(salt=SALT).sign(str(recognition_id)).split(":", 1)[1]


def verify(recognition_id: object, signature: str) -> bool:
    try:
        signing.TimestampSigner(salt=SALT).unsign(
            f"{recognition_id}:{signature}", max_age=settings.CHECKOUT_PHOTO_LINK_SECONDS
        )
    except signing.BadSignature:  # SignatureExpired included
        return False
    return True


def photo_response(recognition) -> FileResponse:
    """The recognition's photo as a private JPEG answer; NotFound when it has none on the storage."""
    try:
        photo = recognition.photo.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # no file saved, or gone from the storage
        raise NotFound(gettext("This recognition has no photo.")) from exc
    response = FileResponse(photo, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response
