"""Secrets at rest, and secrets kept out of log lines.

``SecretBox`` encrypts what a service must store but never show again (webhook signing
secrets) with Fernet (AES-128-CBC and HMAC-SHA256, from the ``cryptography`` package) under
the keys in ``MPP_SECRET_KEYS``: the first key encrypts, every key decrypts, so keys rotate
by putting a new one first and dropping an old one once nothing stored still needs it.
Without keys (development) it makes an ephemeral key and says so: what it stores then
cannot be read after a restart.

``redact_secrets`` is a structlog processor that scrubs secrets from every log line, ours
and the libraries' (signing secrets, tokens, passwords in URLs, bearer keys).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = structlog.stdlib.get_logger(__name__)  # not shared.logging: it imports this module

ENCRYPTED_PREFIX = "fernet:"
"""Stored values that start so are Fernet tokens; anything else is legacy plain text."""
KEYS_VARIABLE = "MPP_SECRET_KEYS"
OPENED_KEPT = 10_000
"""How many decrypted secrets a box remembers (subscriptions are loaded on every event)."""
NEW_KEY_HINT = (
    "make one with: python -c 'from cryptography.fernet import Fernet;"
    " print(Fernet.generate_key().decode())'"
)


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys decrypts."""


class SecretBox:
    """Encrypts and decrypts secrets at rest.

    Args:
        keys: Fernet keys; the first encrypts, all decrypt.
        ephemeral: the keys were made up at start (nothing stored survives a restart).
    """

    def __init__(self, keys: Sequence[bytes | str], *, ephemeral: bool = False) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        fernets = [Fernet(key) for key in keys]
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)
        self.ephemeral = ephemeral
        self._opened: dict[str, str] = {}
        """Tokens already decrypted: a token is unique, so a hit is exact (and ~1000x cheaper)."""

    @classmethod
    def from_keys(cls, raw: str | None) -> SecretBox:
        """The box ``MPP_SECRET_KEYS`` (comma-separated keys) describes.

        Unset or empty: an ephemeral key and a warning. A key that is not a Fernet key is a
        ValueError naming its position, never its value.
        """
        parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
        if not parts:
            log.warning(
                "secrets.ephemeral_key",
                detail=f"{KEYS_VARIABLE} is unset: webhook secrets are encrypted with a key"
                " made up at start, so none stored now can be used after a restart"
                f" (development only); {NEW_KEY_HINT}",
            )
            return cls([Fernet.generate_key()], ephemeral=True)
        for position, key in enumerate(parts, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError(
                    f"{KEYS_VARIABLE}: key {position} of {len(parts)} is not a Fernet key"
                    f" (32 url-safe base64-encoded bytes); {NEW_KEY_HINT}"
                ) from None
        return cls(parts)

    def encrypt(self, plaintext: str) -> str:
        """``fernet:<token>`` under the first key."""
        return ENCRYPTED_PREFIX + self._primary.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plain text of ``stored`` (legacy plain text comes back as it is)."""
        if not is_encrypted(stored):
            return stored
        opened = self._opened.get(stored)
        if opened is not None:
            return opened
        try:
            opened = self._all.decrypt(stored[len(ENCRYPTED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                f"a stored secret was encrypted with a key {KEYS_VARIABLE} does not hold"
            ) from None
        if len(self._opened) >= OPENED_KEPT:
            del self._opened[next(iter(self._opened))]  # the oldest
        self._opened[stored] = opened
        return opened

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is encrypted under the first key (nothing to re-encrypt)."""
        if not is_encrypted(stored):
            return False
        try:
            self._primary.decrypt(stored[len(ENCRYPTED_PREFIX) :].encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, stored: str) -> str:
        """``stored`` encrypted under the first key (plain text is encrypted)."""
        return self.encrypt(self.decrypt(stored))


def is_encrypted(stored: str) -> bool:
    return stored.startswith(ENCRYPTED_PREFIX)


# --- keeping secrets out of logs ---------------------------------------------------------------

REDACTED = "[redacted]"
_SENSITIVE_KEYS = frozenset(
    {
        "secret",
        "secrets",
        "password",
        "passwd",
        "authorization",
        "api_key",
        "apikey",
        "token",
        "credentials",
        "signing_secrets",
        "webhook-signature",
        "mpp_api_key",
        "mpp_secret_keys",
    }
)
_SENSITIVE_SUFFIXES = ("_secret", "_password", "_token", "_api_key")
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), "whsec_" + REDACTED),
    (re.compile(re.escape(ENCRYPTED_PREFIX) + r"[A-Za-z0-9_\-=]+"), ENCRYPTED_PREFIX + REDACTED),
    (re.compile(r"gAAAAA[A-Za-z0-9_\-=]{40,}"), REDACTED),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+"), r"\1 " + REDACTED),
    # user:password@ keeps the user (operators need it to diagnose a broker's refusal);
    # a bare token@ goes whole
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/?#@\s:]*):(?!\*\*\*@)[^/?#@\s]*@"),
        r"\1\2:***@",
    ),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s:]+@"), r"\1" + REDACTED + "@"),
    (
        re.compile(
            r"(?i)([?&;](?:[a-z0-9_\-]*(?:token|secret|password|passwd|key|sig|signature|auth)"
            r"[a-z0-9_\-]*)=)[^&#\s\"']*"
        ),
        r"\1" + REDACTED,
    ),
)


def redact(text: str) -> str:
    """``text`` with every secret-looking part replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _is_sensitive(key: str) -> bool:
    key = key.lower()
    return key in _SENSITIVE_KEYS or key.endswith(_SENSITIVE_SUFFIXES)


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact(value)
    if depth > 4:
        return value
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _is_sensitive(k) else _scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact_secrets(
    _logger: object, _name: str, event_dict: MutableMapping[str, Any]
) -> Mapping[str, Any]:
    """structlog processor: no secret reaches a log line, whoever wrote it."""
    scrubbed: dict[str, Any] = _scrub(dict(event_dict))
    return scrubbed


def redact_url(url: str) -> str:
    """``url`` safe to log: credentials and secret-looking query values replaced."""
    return redact(url)
