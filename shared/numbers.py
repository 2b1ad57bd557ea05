"""Numbers from clients: only ASCII digits, within range, and never a 500.

``int()`` accepts Unicode digits (``²``, ``٣``), underscores and surrounding spaces, and raises
past 4,300 digits; ``str.isdigit`` is true for ``²`` yet ``int("²")`` raises. Every number a
client sends (cursors, ``If-Match``, page sizes) goes through ``parse_client_int`` instead.
"""

from __future__ import annotations

import re

from shared.errors import DomainError, RuleViolated

MAX_SAFE = 2**63 - 1
"""The largest integer MongoDB stores (int64); no number we accept is larger."""

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")

ASCII_DIGITS_PATTERN = r"^[0-9]{1,19}$"
"""For FastAPI ``pattern=``: ``\\d`` would also match Unicode digits."""


def is_client_int(text: str, maximum: int = MAX_SAFE) -> bool:
    """Whether ``text`` is 1-19 ASCII digits no larger than ``maximum`` (``int(text)`` is safe)."""
    return _ASCII_DIGITS.fullmatch(text) is not None and int(text) <= maximum


def parse_client_int(
    text: str,
    *,
    field: str,
    minimum: int = 0,
    maximum: int = MAX_SAFE,
    error: type[DomainError] = RuleViolated,
) -> int:
    """``text`` as an int when it is 1-19 ASCII digits within ``[minimum, maximum]``.

    Raises ``error`` (422 by default) naming ``field`` otherwise.
    """
    if not _ASCII_DIGITS.fullmatch(text):
        raise error(
            f"must be a whole number written in ASCII digits (0-9), got {text[:40]!r}", field=field
        )
    value = int(text)
    if not minimum <= value <= maximum:
        raise error(f"must be between {minimum} and {maximum}", field=field)
    return value
