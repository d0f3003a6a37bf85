"""WeChat Pay platform certificates for the fake: real X.509 (made with ``cryptography``), each
with its own RSA key, listed by ``GET /v3/certificates`` encrypted with AES-256-GCM as WeChat does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from . import crypto
from .crypto import KeyPair, generate_keypair

CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class FakeCertificate:
    keys: KeyPair
    serial_no: str  # upper-case hex, as Wechatpay-Serial names it
    pem: str
    not_before: datetime
    not_after: datetime

    def listing(self, apiv3_key: str) -> dict:
        """This certificate's entry in the ``/v3/certificates`` answer."""
        return {
            "serial_no": self.serial_no,
            "effective_time": self.not_before.astimezone(CHINA).isoformat(timespec="seconds"),
            "expire_time": self.not_after.astimezone(CHINA).isoformat(timespec="seconds"),
            "encrypt_certificate": crypto.aes_gcm_encrypt(apiv3_key, self.pem, "certificate"),
        }


def make_certificate(mch_id: str, *, not_before: datetime, not_after: datetime) -> FakeCertificate:
    """A platform certificate for merchant ``mch_id`` (issuer and subject as Tenpay names them)."""
    keys = generate_keypair()
    serial = secrets.randbits(159) | (1 << 158)  # 40 hex digits, positive, as WeChat's serials
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (fake)")])
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Tenpay.com CA Center"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{mch_id} platform"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(keys.public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(keys.private_key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return FakeCertificate(keys, format(serial, "X"), pem, not_before, not_after)
