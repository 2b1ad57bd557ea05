"""The attempt history: one document per webhook attempt, appended, never read to deliver.

A delivery (an event on its way to one subscription) lives in the broker: in the
subscription's queue, then in a delay tier between attempts. The store only records what
each attempt did, for the deliveries view; the view groups the attempts of a delivery and
pages over deliveries' first attempts in the store (``delivery_pages``). A
delivery's id is derived from (subscription, event, origin), so every replica names it alike
without asking the store. Documents expire after the retention (``expires_at``: a TTL index
on MongoDB, a periodic sweep on the in-process store).

Attempts are written in batches, off the delivery path: ``append`` only buffers, and a
flusher writes what gathered at most ``FLUSH_SECONDS`` later (sooner when ``FLUSH_BATCH`` are
waiting; the buffer never holds more than ``MAX_PENDING``), one ``insert_many`` per
``WRITE_CHUNK`` with the loop running between them: the in-process store blocks while it
writes (about 0.15 ms a record; a whole batch stalled every delivery in flight). Reads
through this replica flush first, so its own view is current; another replica's attempts show
up within ``FLUSH_SECONDS``. A crash loses at most the unflushed records, never a delivery.

Statuses of a delivery, from its last attempt: ``failed`` (another attempt is scheduled),
``succeeded``, ``dead`` (no attempt left, or 410). ``pending`` (not attempted yet) exists only
in the broker: the subscription's ``backlog`` counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.notify.delivery_pages import FIRST_ATTEMPT_INDEX, decode_position, read_page
from shared.clock import UtcDateTime, utcnow
from shared.errors import NotFound
from shared.logging import get_logger
from shared.pagination import Page, PageRequest
from shared.storage import ASCENDING, Database

log = get_logger(__name__)

COLLECTION = "delivery_attempts"
FLUSH_SECONDS = 0.25
"""The longest an attempt waits in the buffer before it is written."""
FLUSH_BATCH = 256
"""Buffered attempts that trigger a write at once."""
WRITE_CHUNK = 32
"""Attempts per ``insert_many``; the loop runs between chunks."""
MAX_PENDING = 10_000
"""Attempts held while the store refuses writes; beyond it the oldest are dropped (logged)."""

DeliveryStatus = Literal["pending", "failed", "succeeded", "dead"]
AttemptOutcome = Literal["failed", "succeeded", "dead"]
Origin = Literal["live", "replay", "retry"]


def delivery_id(subscription_id: str, event_id: str, replay_id: str | None) -> str:
    """The same id on every replica for the same delivery."""
    key = f"{subscription_id}:{event_id}:{replay_id or 'live'}"
    return "dlv_" + hashlib.sha256(key.encode()).hexdigest()[:24]


class Attempt(BaseModel):
    """One try: what was sent when, and what came back (or why there was no answer)."""

    number: int = Field(ge=1)
    at: UtcDateTime
    duration_ms: float
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    retry_after_seconds: float | None = None
    outcome: AttemptOutcome
    next_attempt_at: UtcDateTime | None = None


class AttemptRecord(BaseModel):
    """An attempt with what it belongs to, as stored."""

    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    subject: str
    event_time: UtcDateTime | None = None
    position: int | None = None
    origin: Origin
    replay_id: str | None = None
    attempt: Attempt


class Delivery(BaseModel):
    """An event on its way to one subscription, seen through its attempts."""

    id: str
    subscription_id: str
    event_id: str = Field(description="Also the `webhook-id` of every attempt.")
    event_type: str
    subject: str
    position: int | None = Field(
        default=None, description="The event's log position, when known (replays)."
    )
    origin: Origin
    replay_id: str | None = None
    status: DeliveryStatus
    attempt_count: int = 0
    next_attempt_at: UtcDateTime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    succeeded_at: UtcDateTime | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    attempts: list[Attempt] = []
    event_time: UtcDateTime | None = Field(default=None, exclude=True)

    @classmethod
    def of(cls, records: list[dict[str, Any]]) -> Delivery:
        """The delivery from its attempt documents, oldest first."""
        first, last = records[0], records[-1]
        attempts = [Attempt.model_validate(r["attempt"]) for r in records]
        latest = attempts[-1]
        succeeded = [a.at for a in attempts if a.outcome == "succeeded"]
        return cls(
            id=first["delivery_id"],
            subscription_id=first["subscription_id"],
            event_id=first["event_id"],
            event_type=first["event_type"],
            subject=first["subject"],
            position=next((r.get("position") for r in records if r.get("position")), None),
            origin=first["origin"],
            replay_id=first.get("replay_id"),
            status=latest.outcome,
            attempt_count=max(a.number for a in attempts),
            next_attempt_at=latest.next_attempt_at,
            last_status_code=latest.status_code,
            last_error=latest.error,
            succeeded_at=succeeded[-1] if succeeded else None,
            created_at=attempts[0].at,
            updated_at=last["recorded_at"],
            attempts=attempts,
            event_time=first.get("event_time"),
        )


class AttemptLog:
    """Attempts in ``mpp_notify.delivery_attempts``: appended, read only by operators."""

    def __init__(self, db: Database, retention: timedelta, ttl_index: bool = True) -> None:
        self.collection = db[COLLECTION]
        self._retention = retention
        self._ttl_index = ttl_index
        self._pending: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("delivery_id", ASCENDING), ("seq", ASCENDING)])
        # The deliveries view's pages; its prefix also serves ``delete_for``. A store created
        # before it also holds (subscription_id, seq), which nothing reads any more.
        await self.collection.create_index(FIRST_ATTEMPT_INDEX)
        if self._ttl_index:  # MongoDB expires them; mongomock would scan on every write
            await self.collection.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def append(self, record: AttemptRecord) -> None:
        """Buffer ``record``; it is written within ``FLUSH_SECONDS`` (O(1) here)."""
        now = utcnow()
        self._pending.append(
            {
                **record.model_dump(),
                "seq": now.timestamp(),
                "recorded_at": now,
                "expires_at": now + self._retention,
            }
        )
        if len(self._pending) >= FLUSH_BATCH:  # above ~1,000 attempts/s; else the timer
            await self.flush()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="notify-attempts-flush")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Write every buffered attempt now (``insert_many`` in append order, in chunks)."""
        async with self._writing:
            batch, self._pending = self._pending, []
            written = 0
            try:
                while written < len(batch):
                    chunk = batch[written : written + WRITE_CHUNK]
                    await self.collection.insert_many(chunk, ordered=True)
                    written += len(chunk)
                    if written < len(batch):
                        # The in-process store writes without awaiting anything (about
                        # 0.15 ms a record): deliveries in flight go on between chunks.
                        await asyncio.sleep(0)
            except Exception:
                log.exception("attempts.write_failed", attempts=len(batch) - written)
                self._hold(batch[written:])
            except BaseException:  # cancelled between chunks: the rest waits for the next
                self._hold(batch[written:])
                raise

    def _hold(self, unwritten: list[dict[str, Any]]) -> None:
        held = unwritten + self._pending
        if len(held) > MAX_PENDING:
            log.error("attempts.dropped", attempts=len(held) - MAX_PENDING)
        self._pending = held[-MAX_PENDING:]

    async def close(self) -> None:
        """Write what is buffered and stop the flusher (on shutdown)."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def get(self, delivery_id: str) -> Delivery:
        await self.flush()
        records = (
            await self.collection.find({"delivery_id": delivery_id})
            .sort("seq", ASCENDING)
            .to_list(None)
        )
        if not records:
            raise NotFound(f"delivery {delivery_id} does not exist")
        return Delivery.of(records)

    async def list(
        self, subscription_id: str, status: DeliveryStatus | None, page: PageRequest
    ) -> Page[Delivery]:
        """Deliveries of a subscription, by first attempt, read a page at a time from the
        store (``delivery_pages``); a filtered page may hold fewer than ``limit``."""
        await self.flush()
        if status == "pending":  # never stored: such deliveries wait in the broker
            if page.cursor:
                decode_position(page.cursor)  # a foreign cursor is refused all the same
            return Page[Delivery](items=[])
        items, next_cursor = await read_page(
            self.collection, Delivery.of, subscription_id, status, page
        )
        return Page[Delivery](items=items, next_cursor=next_cursor)

    async def delete_for(self, subscription_id: str) -> None:
        await self.flush()
        await self.collection.delete_many({"subscription_id": subscription_id})

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete expired attempts (MongoDB's TTL index does it too; mongomock does not)."""
        result = await self.collection.delete_many({"expires_at": {"$lt": now or utcnow()}})
        return int(result.deleted_count)
