"""Message encryption for push subscriptions with `keys` (RFC 8620 section 7.2 -> RFC 8291, Web
Push with the aes128gcm content coding of RFC 8188).

Each message gets a fresh ephemeral P-256 key pair and a random salt (RFC 8291 section 3.1);
the ephemeral public key travels as the key id of the aes128gcm header, one record holds it all.
The client's keys are validated once, at creation, by `check_keys`."""

from __future__ import annotations

import base64
import binascii

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

# RFC 8291 section 3.2: the authentication secret is 16 octets; section 3.1: p256dh is an
# uncompressed P-256 point (65 octets).
AUTH_SECRET_LENGTH = 16
# RFC 8291 section 4: a push service need not take more than 4096 octets of body, and the
# message MUST be a single record; the record size (RFC 8188 section 2) is at least that.
RECORD_SIZE = 4096
# RFC 8188 section 2: a record adds the AEAD tag (16 octets) and a padding delimiter (1).
RECORD_OVERHEAD = 17


class BadKeys(ValueError):
    """The `keys` object cannot be used (the message says which member and why)."""


def b64url_decode(text: str) -> bytes:
    """URL-safe base64 (RFC 4648 section 5), padding optional."""
    if not text or any(ch in "+/" for ch in text):
        raise ValueError("not URL-safe base64")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not URL-safe base64") from None


def check_keys(p256dh: str, auth: str) -> None:
    """BadKeys unless p256dh is a point on P-256 and auth 16 octets, both URL-safe base64."""
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise BadKeys("keys.p256dh must be a P-256 public key in URL-safe base64") from None
    if len(point) != 65:
        raise BadKeys("keys.p256dh must be an uncompressed P-256 point (65 octets)")
    try:
        secret = b64url_decode(auth)
    except ValueError:
        raise BadKeys("keys.auth must be URL-safe base64") from None
    if len(secret) != AUTH_SECRET_LENGTH:
        raise BadKeys(f"keys.auth must be {AUTH_SECRET_LENGTH} octets")


def encrypt(body: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm-coded body (RFC 8188 header, then one record) for the subscriber. A
    message too long for a 4096-octet record gets a larger record, never a second one."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    encrypted: bytes = http_ece.encrypt(
        body,
        private_key=ephemeral,
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
        rs=max(RECORD_SIZE, len(body) + RECORD_OVERHEAD),
    )
    return encrypted
