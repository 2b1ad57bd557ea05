"""The event log's entries and filters: what ``GET /events`` and the live feed serve.

The log itself is the RabbitMQ stream ``notify.log`` (``services.notify.topology``); an
entry's position is its stream offset plus one. An entry is an event as the broker stored it:
bodies that are not valid CloudEvents are skipped by every reader, and an id seen again within
the dedupe window (a relay republishing after a crash) is read once, at its first position.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, computed_field

from shared.clock import UtcDateTime, utcnow
from shared.errors import RuleViolated
from shared.events.envelope import CloudEvent
from shared.events.patterns import is_valid_pattern, matches_any
from shared.messaging.consumer import parse_event
from shared.messaging.identity import believed, publisher_of
from shared.numbers import is_client_int

MAX_PATTERN_LENGTH = 255
MAX_PATTERNS = 50
MAX_POSITION = 2**62
"""Positions are stream offsets (64-bit); anything larger is not one."""


class LoggedEvent(BaseModel):
    """One entry of the log: the CloudEvent as published, and where it stands.

    It keeps the event as the bytes published and parses them only to serve a page: the live
    ring holds up to twice ``LIVE_FEED_RING_SIZE`` entries, and a parsed copy cost 2.5 KiB
    more per entry than its 470 bytes (measured).
    """

    position: int = Field(ge=1, description="Its stream offset plus one; the SSE `id`.")
    logged_at: UtcDateTime = Field(
        description="When it was published (its AMQP timestamp), else when it was read."
    )
    _body: bytes = PrivateAttr(default=b"")
    _id: str = PrivateAttr(default="")
    _type: str = PrivateAttr(default="")
    _subject: str = PrivateAttr(default="")
    _time: datetime | None = PrivateAttr(default=None)
    _publisher: str | None = PrivateAttr(default=None)

    @computed_field(description="The CloudEvent, as published.")  # type: ignore[prop-decorator]
    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self._body)
        return parsed

    @property
    def id(self) -> str:
        return self._id

    @property
    def type(self) -> str:
        return self._type

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def time(self) -> datetime | None:
        return self._time

    @property
    def publisher(self) -> str | None:
        """Who published it (its broker identity): what a relayed copy names as its origin."""
        return self._publisher

    def body(self) -> bytes:
        """The CloudEvent as published: the webhook body and the SSE ``data``."""
        return self._body

    @classmethod
    def decode(
        cls,
        position: int,
        body: bytes,
        published: datetime | None,
        *,
        parsed: CloudEvent | None = None,
    ) -> LoggedEvent | None:
        """The entry for a stream message, or None for a body that is not a CloudEvent."""
        try:
            event = parsed or parse_event(body)
        except (ValidationError, ValueError):
            return None
        entry = cls(position=position, logged_at=published or utcnow())
        entry._body = body if b"\n" not in body else _compact(json.loads(body))
        entry._id, entry._type, entry._subject = event.id, event.type, event.subject
        entry._time = event.time
        return entry

    @classmethod
    def restore(
        cls,
        position: int,
        logged_at: datetime,
        body: bytes,
        *,
        event_id: str,
        event_type: str,
        subject: str,
        time: datetime | None,
        publisher: str | None,
    ) -> LoggedEvent:
        """An entry from what ``decode`` kept of it (the live ring's blocks), unparsed."""
        entry = cls(position=position, logged_at=logged_at)
        entry._body, entry._id, entry._type, entry._subject = body, event_id, event_type, subject
        entry._time, entry._publisher = time, publisher
        return entry

    @classmethod
    def from_message(cls, position: int, message: Any) -> tuple[LoggedEvent | None, str]:
        """The entry for a stream message and why it is skipped when it is None: ``invalid``
        (not a CloudEvent) or ``untrusted`` (its publisher does not own its type; a stream
        cannot dead-letter, so every reader skips it)."""
        try:
            event = parse_event(message.body)
        except (ValidationError, ValueError):
            return None, "invalid"
        if not believed(event, message):
            return None, "untrusted"
        entry = cls.decode(position, message.body, message.timestamp, parsed=event)
        if entry is not None:
            entry._publisher = publisher_of(message)
        return entry, "invalid"


def _compact(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


class EventLogFilter(BaseModel):
    """What ``GET /events`` filters on."""

    types: list[str] = []
    subject: str | None = None
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None

    def matches(self, entry: LoggedEvent) -> bool:
        if self.types and not matches_any(self.types, entry.type):
            return False
        if self.subject is not None and entry.subject != self.subject:
            return False
        when = entry.time
        if self.since is not None and (when is None or when < self.since):
            return False
        return not (self.until is not None and (when is None or when >= self.until))


def check_type_patterns(raw: Sequence[str], field: str = "type") -> list[str]:
    """Patterns from query parameters (repeated, or comma-separated in one value)."""
    patterns = [p.strip() for value in raw for p in value.split(",") if p.strip()]
    if len(patterns) > MAX_PATTERNS:
        raise RuleViolated(f"at most {MAX_PATTERNS} patterns", field=field)
    for pattern in patterns:
        if len(pattern) > MAX_PATTERN_LENGTH or not is_valid_pattern(pattern):
            raise RuleViolated(
                f"{pattern[:60]!r} is not an event type pattern (mou.*, mall.inaugurated, #)",
                field=field,
            )
    return patterns


def parse_position(raw: str, field: str) -> int:
    """A position sent by a client: ASCII digits only, within 0..2**62 (else 422, never 500)."""
    raw = raw.strip()
    if not is_client_int(raw, maximum=MAX_POSITION):
        raise RuleViolated(f"{field} must be a position this service issued", field=field)
    return int(raw)
