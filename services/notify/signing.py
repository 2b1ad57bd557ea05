"""Standard Webhooks 1.0 signatures: ``webhook-signature: v1,<base64 HMAC-SHA256>``.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the base64
part of the subscription's ``whsec_...`` secret. During a secret rotation a delivery carries
one signature per secret still in force, space-separated, so a receiver that knows either
secret accepts it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
SIGNATURE_VERSION = "v1"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; ValueError for one that is not valid."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as error:
        raise ValueError("a signing secret is whsec_ and base64") from error
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a signing secret holds at least {MIN_SECRET_BYTES} bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`` with ``secret``.

    Signed by the ``standardwebhooks`` reference package (the key checked here first); a
    body that is not UTF-8 (never a CloudEvent) is signed over its bytes directly.
    """
    key = secret_key(secret)
    try:
        text = body.decode()
    except UnicodeDecodeError:
        signed_content = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(key, signed_content, hashlib.sha256).digest()
        return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"
    return Webhook(key).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), text)


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, space-separated."""
    if not secrets:
        raise ValueError("a delivery is never sent unsigned: no secret given")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def webhook_headers(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
    }
