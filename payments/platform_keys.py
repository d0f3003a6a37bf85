"""The keys WeChat Pay signs its answers and notifications with, found by ``Wechatpay-Serial``.

Two verification modes (``WECHATPAY_KEY_MODES``), either or both:

* ``public_key``: the WeChat Pay public key and its id (``PUB_KEY_ID_...``), from files.
* ``certificate``: platform certificates, downloaded from ``GET /v3/certificates`` (each
  ``encrypt_certificate`` decrypted with AES-256-GCM and the API v3 key, the answer's own
  signature checked), kept in the database (``PlatformCertificate``) for every process, and
  downloaded again by the beat job, on demand when the newest one is within
  ``WECHATPAY_CERTIFICATE_RENEW_HOURS`` of expiry, or when an unknown serial signs something.

A merchant migrating between modes has both configured: WeChat signs with either for a while,
and each message is verified with the key its serial names.  wechatpayv3 downloads certificates
by itself only from its hard-coded host and without checking the answer, so we do it here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.core.cache import cache
from django.utils import timezone
from wechatpayv3.utils import aes_decrypt, build_authorization, load_public_key, rsa_verify

from .errors import GatewayUnavailable
from .models import PlatformCertificate

logger = logging.getLogger(__name__)

PUBLIC_KEY, CERTIFICATE = "public_key", "certificate"
KEY_MODES = (PUBLIC_KEY, CERTIFICATE)
CERTIFICATES_PATH = "/v3/certificates"
DOWNLOAD_THROTTLE_KEY = "wechatpay:certificates-download"


def normal_serial(serial: str) -> str:
    """Certificate serials compare as numbers (hex in any case, leading zeros or not); ids as given."""
    try:
        return format(int(serial, 16), "X")
    except ValueError:
        return serial


@lru_cache(maxsize=64)
def _certificate_key(pem: str) -> RSAPublicKey:
    return x509.load_pem_x509_certificate(pem.encode()).public_key()


@dataclass(frozen=True)
class CertificateSource:
    """Where and as whom to download the platform certificates (the merchant signs the request)."""

    base_url: str
    mch_id: str
    mch_cert_serial_no: str
    mch_private_key: Any  # an RSA private key object
    apiv3_key: str
    timeout: float

    def download(self, trusted) -> list[PlatformCertificate]:
        """The certificates WeChat lists now, decrypted, checked and not yet saved.

        ``trusted(serial)`` is a key we already hold; the answer may also be signed by one of the
        certificates it carries (their decryption with the API v3 key proves they are WeChat's).
        """
        authorization = build_authorization(
            CERTIFICATES_PATH, "GET", self.mch_id, self.mch_cert_serial_no, self.mch_private_key
        )
        try:
            response = requests.get(
                self.base_url.rstrip("/") + CERTIFICATES_PATH,
                headers={"Authorization": authorization, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise GatewayUnavailable() from exc
        if response.status_code != 200:
            logger.warning("wechat pay certificates answered %s: %s", response.status_code, response.text[:300])
            raise GatewayUnavailable()
        try:
            listed = json.loads(response.text)["data"]
            certificates = [self._decrypted(entry) for entry in listed]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("wechat pay certificates answered something we cannot read: %s", exc)
            raise GatewayUnavailable() from exc
        certificates = [certificate for certificate in certificates if certificate is not None]
        serial = normal_serial(response.headers.get("Wechatpay-Serial", ""))
        carried = {certificate.serial_no: certificate for certificate in certificates}
        key = _certificate_key(carried[serial].certificate_pem) if serial in carried else trusted(serial)
        headers = response.headers
        if key is None or not rsa_verify(
            headers.get("Wechatpay-Timestamp", ""),
            headers.get("Wechatpay-Nonce", ""),
            response.text,
            headers.get("Wechatpay-Signature", ""),
            key,
        ):
            logger.error("wechat pay certificates: the answer's signature (serial %r) does not verify", serial)
            raise GatewayUnavailable()
        return certificates

    def _decrypted(self, entry: dict[str, Any]) -> PlatformCertificate | None:
        encrypted = entry["encrypt_certificate"]
        if encrypted.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError(f"unexpected algorithm {encrypted.get('algorithm')!r}")
        pem = aes_decrypt(
            nonce=encrypted["nonce"],
            ciphertext=encrypted["ciphertext"],
            associated_data=encrypted.get("associated_data") or "",
            apiv3_key=self.apiv3_key,
        )
        if pem is None:
            raise ValueError("a certificate does not decrypt with our API v3 key")
        certificate = x509.load_pem_x509_certificate(pem.encode())
        serial = format(certificate.serial_number, "X")
        if serial != normal_serial(str(entry["serial_no"])):
            logger.error("wechat pay certificate listed as %s is %s: skipped", entry["serial_no"], serial)
            return None
        if certificate.not_valid_after_utc <= timezone.now():
            return None
        return PlatformCertificate(
            serial_no=serial,
            certificate_pem=pem,
            effective_at=certificate.not_valid_before_utc,
            expires_at=certificate.not_valid_after_utc,
        )


class PlatformKeys:
    """The keys of the configured modes, by serial; certificates are read from the database."""

    def __init__(
        self,
        *,
        modes: tuple[str, ...],
        public_key_id: str = "",
        public_key_pem: str = "",
        source: CertificateSource | None = None,
        renew_hours: int,
        min_download_seconds: int,
    ):
        self.modes = modes
        self.public_key_id = public_key_id if PUBLIC_KEY in modes else ""
        self.public_key = load_public_key(public_key_pem) if PUBLIC_KEY in modes else None
        self.source = source if CERTIFICATE in modes else None
        self.renew = timedelta(hours=renew_hours)
        self.min_download_seconds = min_download_seconds

    # --- lookup
    def _known(self, serial: str) -> RSAPublicKey | None:
        """A key we hold now (no download): the public key, or a certificate valid now."""
        if self.public_key is not None and serial == self.public_key_id:
            return self.public_key
        if self.source is None:
            return None
        now = timezone.now()
        row = PlatformCertificate.objects.filter(
            serial_no=normal_serial(serial), effective_at__lte=now, expires_at__gt=now
        ).first()
        return _certificate_key(row.certificate_pem) if row else None

    def key_for(self, serial: str) -> RSAPublicKey | None:
        """The key ``serial`` names; an unknown serial downloads the certificates once, then None."""
        key = self._known(serial)
        if self.source is None or (key is not None and key is self.public_key):
            return key
        if key is None:
            if self._may_download():
                self._refresh_quietly()
                key = self._known(serial)
        elif self._renewal_due() and self._may_download():
            self._refresh_quietly()
        return key

    def verify(self, headers, body: str) -> bool:
        """A WeChat Pay signature over ``body`` checks out with the key its serial names."""
        if headers.get("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048") != "WECHATPAY2-SHA256-RSA2048":
            return False
        key = self.key_for(headers.get("Wechatpay-Serial", ""))
        return key is not None and rsa_verify(
            headers.get("Wechatpay-Timestamp", ""),
            headers.get("Wechatpay-Nonce", ""),
            body,
            headers.get("Wechatpay-Signature", ""),
            key,
        )

    # --- certificates
    def refresh(self) -> list[PlatformCertificate]:
        """Download the certificates now and keep them (GatewayUnavailable when WeChat cannot say)."""
        if self.source is None:
            return []
        fetched_at = timezone.now()
        certificates = self.source.download(self._known)
        for certificate in certificates:
            PlatformCertificate.objects.update_or_create(
                serial_no=certificate.serial_no,
                defaults={
                    "certificate_pem": certificate.certificate_pem,
                    "effective_at": certificate.effective_at,
                    "expires_at": certificate.expires_at,
                    "fetched_at": fetched_at,
                },
            )
        logger.info("wechat pay certificates: %s", ", ".join(str(c) for c in certificates) or "none listed")
        return certificates

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except GatewayUnavailable:
            logger.warning("wechat pay certificates could not be downloaded now")

    def _renewal_due(self) -> bool:
        newest = PlatformCertificate.objects.order_by("-expires_at").values_list("expires_at", flat=True).first()
        return newest is None or newest - timezone.now() < self.renew

    def _may_download(self) -> bool:
        """At most one on-demand download per ``min_download_seconds`` across processes, so forged
        serials cannot make us hammer WeChat; with the cache down, each process may download."""
        try:
            return bool(cache.add(DOWNLOAD_THROTTLE_KEY, 1, timeout=self.min_download_seconds))
        except Exception as exc:
            logger.warning("certificate download throttle skipped, the cache is unavailable: %s", exc)
            return True


def certificate_status(*, modes: tuple[str, ...], public_key_id: str, renew_hours: int, now: datetime | None = None):
    """What ``/healthz`` shows: the modes, and each stored certificate with its expiry."""
    now = now or timezone.now()
    status: dict[str, Any] = {"ok": True, "modes": list(modes), "warnings": []}
    if PUBLIC_KEY in modes:
        status["public_key_id"] = public_key_id
    if CERTIFICATE not in modes:
        return status
    rows = list(PlatformCertificate.objects.order_by("-expires_at"))
    status["certificates"] = [
        {
            "serial_no": row.serial_no,
            "effective_at": row.effective_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "expired": row.expires_at <= now,
            "hours_left": max(0, int((row.expires_at - now).total_seconds() // 3600)),
        }
        for row in rows
    ]
    valid = [row for row in rows if row.effective_at <= now < row.expires_at]
    if not valid:
        status["ok"] = False
        status["warnings"].append("No valid WeChat Pay platform certificate: responses and notifications are refused.")
    elif valid[0].expires_at - now < timedelta(hours=renew_hours):
        status["ok"] = False
        status["warnings"].append(
            f"The newest WeChat Pay platform certificate {valid[0].serial_no} expires at "
            f"{valid[0].expires_at.isoformat()}, within {renew_hours} h, and no newer one was downloaded."
        )
    return status
