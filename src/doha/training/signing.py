"""Signed certificate codes that anyone can check, online or offline.

The instance signs each certificate with its Ed25519 private key (``cryptography``; no
hand-made crypto). A code carries a compact payload and the signature:

    payload (15 bytes) = version (1) · serial (4) · issue day since 2000-01-01 (2)
                         · credit hours x 10 (2) · holder digest (6)

The holder digest is the first 6 bytes of SHA-256 over the holder's name and the course UID:
the code binds a person and a course without carrying the name.

Two forms, both base32 (A-Z, 2-7: no 0/1/8 to misread), grouped by four with dashes:

- the *full code* = payload + the 64-byte signature (79 bytes, 127 characters). It is what
  the QR code carries, and what the offline check (``manage.py verify_certificate``) needs:
  anyone with the public key can check it without the database. An Ed25519 signature cannot
  be shortened without losing this, hence its length.
- the *short code* = payload + the first 5 bytes of that signature (20 bytes, 32 characters),
  printed large to be typed into the verification form. Ed25519 signatures are
  deterministic, so the online verifier signs the payload again and compares the 5 bytes: a
  guessed or altered short code is refused (a 40-bit tag behind a rate-limited page), and
  the certificate record decides the rest.

The key comes from ``DOHA_CERTIFICATE_KEY`` (PEM text, setting or environment variable) or
the PEM file ``DOHA_CERTIFICATE_KEY_FILE`` (default ``var/certificate_key.pem``), written by
``manage.py certificate_key``; it is never committed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import os
import struct
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = 1
EPOCH = datetime.date(2000, 1, 1)
PAYLOAD = struct.Struct(">BIHH6s")
SIGNATURE_BYTES = 64
SHORT_TAG_BYTES = 5
FULL_BYTES = PAYLOAD.size + SIGNATURE_BYTES
SHORT_BYTES = PAYLOAD.size + SHORT_TAG_BYTES
DOMAIN = b"doha-certificate\x00"  # signatures made here mean nothing elsewhere


class CertificateKeyMissing(ImproperlyConfigured):
    pass


class BadCode(ValueError):
    """Not a code: wrong characters or length (typed wrong, or altered)."""


# ---------------------------------------------------------------- keys


def key_path() -> Path:
    configured = getattr(settings, "DOHA_CERTIFICATE_KEY_FILE", "") or os.environ.get(
        "DOHA_CERTIFICATE_KEY_FILE", ""
    )
    if configured:
        return Path(configured)
    return Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "certificate_key.pem"


def private_key() -> Ed25519PrivateKey:
    pem = getattr(settings, "DOHA_CERTIFICATE_KEY", "") or os.environ.get(
        "DOHA_CERTIFICATE_KEY", ""
    )
    if pem:
        return _load_private(pem.encode(), "DOHA_CERTIFICATE_KEY")
    path = key_path()
    if path.is_file():
        return _load_private(path.read_bytes(), str(path))
    raise CertificateKeyMissing(
        f"No certificate signing key: run `manage.py certificate_key` to create {path}, "
        "or set DOHA_CERTIFICATE_KEY (PEM) or DOHA_CERTIFICATE_KEY_FILE."
    )


def _load_private(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{where} is not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where} is not an Ed25519 key.")
    return key


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """A new private key written to ``path`` (owner read/write only); never overwrites."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey | None = None) -> str:
    key = key or private_key()
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured("Not an Ed25519 public key.")
    return key


# ---------------------------------------------------------------- payload


@dataclass(frozen=True)
class Payload:
    serial: int
    issued_on: datetime.date
    hours: Decimal
    holder_digest: bytes

    def pack(self) -> bytes:
        tenths = int((Decimal(self.hours) * 10).to_integral_value())
        return PAYLOAD.pack(
            VERSION, self.serial, (self.issued_on - EPOCH).days, tenths, self.holder_digest
        )

    @classmethod
    def unpack(cls, data: bytes) -> Payload:
        version, serial, days, tenths, digest = PAYLOAD.unpack(data)
        if version != VERSION:
            raise BadCode("unknown code version")
        return cls(serial, EPOCH + datetime.timedelta(days=days), Decimal(tenths) / 10, digest)


def holder_digest(full_name: str, course_uid: str) -> bytes:
    name = " ".join(unicodedata.normalize("NFC", full_name).split()).casefold()
    return hashlib.sha256(f"{name}\x1f{course_uid}".encode()).digest()[:6]


def _sign(payload: bytes, key: Ed25519PrivateKey) -> bytes:
    return key.sign(DOMAIN + payload)


# ---------------------------------------------------------------- codes


def _encode(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def group(code: str, size: int = 4) -> str:
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def normalize(text: str) -> str:
    """The code as typed or scanned, without spaces, dashes and case."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t\r\n")


def full_code(payload: Payload, key: Ed25519PrivateKey | None = None) -> str:
    data = payload.pack()
    return _encode(data + _sign(data, key or private_key()))


def short_code(payload: Payload, key: Ed25519PrivateKey | None = None) -> str:
    data = payload.pack()
    return _encode(data + _sign(data, key or private_key())[:SHORT_TAG_BYTES])


def _decode(code: str) -> bytes:
    code = normalize(code)
    if len(code) not in (len(_encode(b"\0" * FULL_BYTES)), len(_encode(b"\0" * SHORT_BYTES))):
        raise BadCode("wrong length")
    try:
        data = base64.b32decode(code + "=" * (-len(code) % 8))
    except ValueError as exc:
        raise BadCode("not base32") from exc
    if _encode(data) != code:  # unused trailing bits changed: not the code that was issued
        raise BadCode("not canonical")
    return data


def is_full(code: str) -> bool:
    return len(normalize(code)) == len(_encode(b"\0" * FULL_BYTES))


def check_code(code: str, public_key: Ed25519PublicKey | None = None) -> Payload:
    """The payload of a genuine code, or ``BadCode`` (altered, mistyped, other key).

    A full code is checked with the public key alone (the instance's, or the one given:
    offline). A short code needs the instance's private key (online only).
    """
    data = _decode(code)
    payload, rest = data[: PAYLOAD.size], data[PAYLOAD.size :]
    if len(rest) == SIGNATURE_BYTES:
        key = public_key or private_key().public_key()
        try:
            key.verify(rest, DOMAIN + payload)
        except InvalidSignature as exc:
            raise BadCode("signature does not match") from exc
    else:
        if public_key is not None:
            raise BadCode("a short code can be checked only online; use the full code")
        expected = _sign(payload, private_key())[:SHORT_TAG_BYTES]
        if not hmac.compare_digest(expected, rest):
            raise BadCode("signature does not match")
    return Payload.unpack(payload)


# ---------------------------------------------------------------- public display


def mask_name(full_name: str) -> str:
    """ "Nguyễn Văn An" -> "Nguyễn V*** A***": family name, then initials (length hidden)."""
    words = (full_name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return f"{words[0][0]}***"
    return " ".join([words[0], *(f"{w[0]}***" for w in words[1:])])
