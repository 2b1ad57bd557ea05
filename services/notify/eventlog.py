"""The event log: every event consumed, once, in arrival order, numbered by ``position``.

Positions come from a counter document (``$inc``), so they increase monotonically across
replicas. Taking a position and writing the event are two writes: for a moment a position
can be taken but not yet written (another replica mid-append), and a crash between the two
leaves it empty for good. Readers therefore stop before a missing position while the event
after it is younger than a grace period; past that, the position is taken to be empty. That
is what lets a reader that resumes after position N miss nothing and see nothing twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from shared.clock import UtcDateTime, utcnow
from shared.errors import RuleViolated
from shared.events.envelope import CloudEvent
from shared.events.patterns import is_valid_pattern, topic_regex
from shared.http.pagination import Page, decode_cursor, encode_cursor
from shared.storage import ASCENDING, DESCENDING, Database, DuplicateKeyError, ReturnDocument

COLLECTION = "event_log"
COUNTERS = "counters"
POSITION_COUNTER = "event_log.position"


class LoggedEvent(BaseModel):
    """One entry of the log: the CloudEvent as consumed, and where it stands."""

    position: int = Field(ge=1, description="Its place in the log; the SSE `id`.")
    logged_at: UtcDateTime = Field(description="When notify consumed it.")
    event: dict[str, Any] = Field(description="The CloudEvent, as published.")

    @property
    def id(self) -> str:
        return str(self.event["id"])

    @property
    def type(self) -> str:
        return str(self.event["type"])

    def body(self) -> bytes:
        """The CloudEvent as compact JSON: the webhook body and the SSE ``data``."""
        return json.dumps(self.event, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> LoggedEvent:
        return cls(
            position=document["position"],
            logged_at=document["logged_at"],
            event=document["event"],
        )


class EventLogFilter(BaseModel):
    """What ``GET /events`` filters on."""

    types: list[str] = []
    subject: str | None = None
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None


def check_type_patterns(raw: Sequence[str], field: str = "type") -> list[str]:
    """Patterns from query parameters (repeated, or comma-separated in one value)."""
    patterns = [p.strip() for value in raw for p in value.split(",") if p.strip()]
    for pattern in patterns:
        if not is_valid_pattern(pattern):
            raise RuleViolated(
                f"{pattern!r} is not an event type pattern (mou.*, mall.inaugurated, #)",
                field=field,
            )
    return patterns


def type_query(patterns: Sequence[str]) -> dict[str, Any]:
    """A MongoDB condition on ``type`` matching any of ``patterns`` (none: any type)."""
    if not patterns or "#" in patterns:
        return {}
    regex = "|".join(f"(?:{topic_regex(p)})" for p in patterns)
    return {"type": {"$regex": regex}}


class LogSignal:
    """Wakes in-process readers when the log grows.

    Take ``waiter()`` *before* reading, then wait on it: an append in between is not lost.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


class EventLog:
    """The log in ``mpp_notify.event_log``, keyed by event id (which deduplicates).

    Args:
        db: notify's database.
        gap_grace_seconds: how long readers wait for a taken but unwritten position.
    """

    def __init__(self, db: Database, gap_grace_seconds: float = 5.0) -> None:
        self._collection = db[COLLECTION]
        self._counters = db[COUNTERS]
        self._grace = timedelta(seconds=gap_grace_seconds)
        self.signal = LogSignal()

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("position", ASCENDING)], unique=True)
        await self._collection.create_index([("type", ASCENDING), ("position", ASCENDING)])
        await self._collection.create_index([("subject", ASCENDING), ("position", ASCENDING)])
        await self._collection.create_index([("time", ASCENDING)])
        await self._collection.create_index([("logged_at", ASCENDING)])

    async def append(self, event: CloudEvent) -> tuple[LoggedEvent, bool]:
        """Log ``event`` unless it is there already; returns the entry and whether it is new."""
        existing = await self._collection.find_one({"_id": event.id})
        if existing is not None:
            return LoggedEvent.from_document(existing), False
        logged_at = utcnow()
        counter = await self._counters.find_one_and_update(
            {"_id": POSITION_COUNTER},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        document = {
            "_id": event.id,
            "position": int(counter["value"]),
            "type": event.type,
            "subject": event.subject,
            "time": event.time,
            "logged_at": logged_at,
            "event": event.to_wire_dict(),
        }
        try:
            await self._collection.insert_one(document)
        except DuplicateKeyError:
            # Another replica logged it meanwhile; the position taken stays empty.
            existing = await self._collection.find_one({"_id": event.id})
            if existing is None:
                raise
            return LoggedEvent.from_document(existing), False
        self.signal.notify()
        return LoggedEvent.from_document(document), True

    async def get(self, event_id: str) -> LoggedEvent | None:
        document = await self._collection.find_one({"_id": event_id})
        return None if document is None else LoggedEvent.from_document(document)

    async def head(self) -> int:
        """The highest position a reader may have read now (0 for an empty log)."""
        return await self._head_within(await self.horizon())

    async def horizon(self, now: datetime | None = None) -> int | None:
        """The highest position readers may go up to now; None: no limit.

        A position missing below an event younger than the grace period may still be
        written: the horizon is that position, so readers stop just before it.
        """
        if self._grace <= timedelta(0):
            return None
        cutoff = (now or utcnow()) - self._grace
        recent = [
            int(d["position"])
            async for d in self._collection.find(
                {"logged_at": {"$gt": cutoff}}, {"position": 1}
            ).sort("position", ASCENDING)
        ]
        if not recent:
            return None
        first = recent[0]
        if first > 1 and await self._collection.find_one({"position": first - 1}) is None:
            return first - 1
        for before, after in itertools.pairwise(recent):
            if after != before + 1:
                return before + 1
        return None

    async def read_after(
        self, position: int, limit: int, patterns: Sequence[str] = ()
    ) -> tuple[list[LoggedEvent], int]:
        """Events after ``position`` matching ``patterns``, in log order, up to ``limit``.

        Also returns how far the log was read: the position to resume after, which passes
        events that did not match, so a filtered reader does not read them again.
        """
        horizon = await self.horizon()
        query = self._visible({"position": {"$gt": position}, **type_query(patterns)}, horizon)
        documents = (
            await self._collection.find(query)
            .sort("position", ASCENDING)
            .limit(limit)
            .to_list(None)
        )
        events = [LoggedEvent.from_document(d) for d in documents]
        if len(events) == limit:
            return events, events[-1].position
        read_to = max(position, await self._head_within(horizon))
        return events, read_to

    async def _head_within(self, horizon: int | None) -> int:
        documents = (
            await self._collection.find(self._visible({}, horizon), {"position": 1})
            .sort("position", DESCENDING)
            .limit(1)
            .to_list(None)
        )
        return int(documents[0]["position"]) if documents else 0

    async def page(
        self, filters: EventLogFilter, limit: int, cursor: str | None, after: int | None
    ) -> Page[LoggedEvent]:
        """One page of the log in position order; the cursor is the last position given."""
        start = after or 0
        if cursor:
            raw = decode_cursor(cursor)
            if not raw.isdigit():
                raise RuleViolated("cursor is not one this service issued", field="cursor")
            start = max(start, int(raw))
        query: dict[str, Any] = {"position": {"$gt": start}, **type_query(filters.types)}
        if filters.subject:
            query["subject"] = filters.subject
        if filters.since or filters.until:
            query["time"] = {}
            if filters.since:
                query["time"]["$gte"] = filters.since
            if filters.until:
                query["time"]["$lt"] = filters.until
        query = self._visible(query, await self.horizon())
        documents = (
            await self._collection.find(query)
            .sort("position", ASCENDING)
            .limit(limit + 1)
            .to_list(None)
        )
        items = [LoggedEvent.from_document(d) for d in documents[:limit]]
        next_cursor = encode_cursor(str(items[-1].position)) if len(documents) > limit else None
        return Page[LoggedEvent](items=items, next_cursor=next_cursor)

    async def matching_since(
        self,
        patterns: Sequence[str],
        since: datetime,
        until: datetime | None = None,
        batch: int = 500,
    ) -> AsyncIterator[list[LoggedEvent]]:
        """Batches of the logged events of ``patterns`` whose ``time`` is in the range."""
        filters = EventLogFilter(types=list(patterns), since=since, until=until)
        cursor: str | None = None
        while True:
            page = await self.page(filters, batch, cursor, None)
            if page.items:
                yield page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    @staticmethod
    def _visible(query: dict[str, Any], horizon: int | None) -> dict[str, Any]:
        if horizon is None:
            return query
        bound = {**query.get("position", {}), "$lte": horizon}
        return {**query, "position": bound}
