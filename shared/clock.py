"""Time and identifiers, in one place so tests and stores agree on them."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator


def utcnow() -> datetime:
    """Now, in UTC, at the millisecond precision MongoDB keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def ensure_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one (as some stores return) is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


def reject_epoch_numbers(value: object) -> object:
    """Refuse numbers (which pydantic would read as Unix time): a date-time must say so."""
    if (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str) and _NUMBER.match(value)
    ):
        raise ValueError("expected an RFC 3339 date-time such as 2022-06-28T03:00:00Z")
    return value


UtcDateTime = Annotated[datetime, BeforeValidator(reject_epoch_numbers), AfterValidator(ensure_utc)]
"""A datetime given as RFC 3339 text, always aware and in UTC once validated."""


_last_id_time = (0, 0)  # (milliseconds, sequence) of the last id made in this process


def new_id(prefix: str) -> str:
    """An opaque id that sorts by creation time: ``<prefix>_<ms time><sequence><random>``.

    Sorting by creation is what lets lists page by id with a stable cursor. Within one
    process ids are strictly increasing, even several in one millisecond.
    """
    global _last_id_time
    millis = time.time_ns() // 1_000_000
    last_millis, sequence = _last_id_time
    if millis <= last_millis:
        millis, sequence = last_millis, sequence + 1
    else:
        sequence = 0
    _last_id_time = (millis, sequence)
    return f"{prefix}_{millis:012x}{sequence & 0xFFFF:04x}{os.urandom(3).hex()}"
