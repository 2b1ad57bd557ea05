"""Time and identifiers, in one place so tests and stores agree on them."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator


def utcnow() -> datetime:
    """Now, in UTC, at the millisecond precision MongoDB keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def ensure_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one (as some stores return) is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(ensure_utc)]
"""A datetime that is always aware and in UTC once validated."""


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def new_id(prefix: str) -> str:
    """An opaque id that sorts by creation time: ``<prefix>_<ms time><random>``.

    Sorting by creation is what lets lists page by id with a stable cursor.
    """
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{os.urandom(5).hex()}"
