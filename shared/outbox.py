"""The transactional outbox, in single-document form.

MongoDB without multi-document transactions can still change an aggregate and record its
events atomically when the events live *inside* the aggregate's document: ``AggregateStore``
writes the new state and pushes the events onto the document's ``_outbox`` in one update.
``OutboxRelay`` then publishes each document's pending events in order, with confirms, and
moves their ids from ``_outbox`` (pending) to ``_published`` (the last few, for audit).

A lease on the document keeps two replicas' relays from publishing the same aggregate's
events concurrently, which is what keeps order per aggregate. A crash between the broker's
confirm and the move to ``_published`` publishes that event again: delivery is at least
once and every consumer deduplicates on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from shared.clock import utcnow
from shared.errors import ConcurrentModification
from shared.events.envelope import CloudEvent
from shared.logging import get_logger
from shared.messaging.publisher import EventPublisher
from shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISH_FAILURES
from shared.storage import ASCENDING, Collection, ReturnDocument

log = get_logger(__name__)

PENDING = "_outbox"
PUBLISHED = "_published"
LEASE = "_outbox_lease"
PUBLISHED_KEPT = 20


class AggregateStore:
    """Writes an aggregate's state and its events in one atomic document write.

    Args:
        collection: the aggregate's collection; documents keep ``_id`` and ``version``.
        on_commit: called after every write that added events (wakes the relay).
    """

    def __init__(self, collection: Collection, on_commit: Any = None) -> None:
        self.collection = collection
        self._on_commit = on_commit

    async def insert(self, document: dict[str, Any], events: Sequence[CloudEvent]) -> None:
        """Store a new aggregate with its first events; DuplicateKeyError on a clash."""
        await self.collection.insert_one(
            {**document, PENDING: [e.to_wire_dict() for e in events], PUBLISHED: []}
        )
        self._committed(events)

    async def update(
        self,
        aggregate_id: str,
        expected_version: int,
        changes: dict[str, Any],
        events: Sequence[CloudEvent],
    ) -> None:
        """Apply ``changes`` if the stored version is still ``expected_version``.

        Raises ``ConcurrentModification`` when another writer got there first: nothing is
        written then, neither state nor events.
        """
        update: dict[str, Any] = {"$set": changes}
        if events:
            update["$push"] = {PENDING: {"$each": [e.to_wire_dict() for e in events]}}
        result = await self.collection.update_one(
            {"_id": aggregate_id, "version": expected_version}, update
        )
        if result.matched_count == 0:
            raise ConcurrentModification(
                f"{aggregate_id} changed while this request was handled; retry it",
                expected_version=expected_version,
            )
        self._committed(events)

    def _committed(self, events: Sequence[CloudEvent]) -> None:
        if events and self._on_commit is not None:
            self._on_commit()


async def ensure_outbox_indexes(collection: Collection) -> None:
    """The index the relay's search for pending events uses."""
    await collection.create_index([(f"{PENDING}.0", ASCENDING)], sparse=True)


class OutboxRelay:
    """Publishes pending events from the given collections until stopped.

    Args:
        service: the owning service, for logs and metrics.
        collections: the aggregate collections that carry an ``_outbox``.
        publisher: publishes with confirms; raises when the broker does not take an event.
        poll_seconds: how often to look for pending events when not woken.
        lease_seconds: how long one relay may hold an aggregate before another may take it.
    """

    def __init__(
        self,
        *,
        service: str,
        collections: Sequence[Collection],
        publisher: EventPublisher,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
    ) -> None:
        self._service = service
        self._collections = list(collections)
        self._publisher = publisher
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._backoff = poll_seconds

    def add_collection(self, collection: Collection) -> None:
        """Also relay the events of ``collection``."""
        self._collections.append(collection)

    def wake(self) -> None:
        """Ask for a pass now (called after a commit)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"{self._service}-outbox-relay")

    async def stop(self) -> None:
        """Stop after one last pass, so a graceful shutdown leaves nothing it could publish."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.drain(), timeout=5)

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
                self._backoff = self._poll
            except Exception as error:
                OUTBOX_PUBLISH_FAILURES.labels(service=self._service).inc()
                log.warning(
                    "outbox.publish_failed",
                    error=repr(error),
                    retry_in_seconds=round(self._backoff, 2),
                )
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, 30.0)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def drain(self) -> int:
        """Publish everything pending now; returns how many events were published.

        Stops at the first event the broker does not take (raising), leaving it and the
        events after it pending, so order per aggregate holds.
        """
        published = 0
        for collection in self._collections:
            while (document := await self._lease_next(collection)) is not None:
                published += await self._publish_document(collection, document)
        await self._report_pending()
        return published

    async def _lease_next(self, collection: Collection) -> dict[str, Any] | None:
        now = utcnow()
        result: dict[str, Any] | None = await collection.find_one_and_update(
            {
                f"{PENDING}.0": {"$exists": True},
                "$or": [{LEASE: None}, {LEASE: {"$lt": now}}],
            },
            {"$set": {LEASE: now + self._lease}},
            projection={PENDING: 1},
            return_document=ReturnDocument.AFTER,
        )
        return result

    async def _publish_document(self, collection: Collection, document: dict[str, Any]) -> int:
        done: list[str] = []
        try:
            for raw in document[PENDING]:
                event = CloudEvent.model_validate(raw)
                await self._publisher.publish(event)
                done.append(event.id)
                log.info(
                    "outbox.published",
                    event_id=event.id,
                    event_type=event.type,
                    subject=event.subject,
                    correlation_id=event.correlationid,
                )
        finally:
            update: dict[str, Any] = {"$unset": {LEASE: ""}}
            if done:
                update["$pull"] = {PENDING: {"id": {"$in": done}}}
                update["$push"] = {PUBLISHED: {"$each": done, "$slice": -PUBLISHED_KEPT}}
            await collection.update_one({"_id": document["_id"]}, update)
        return len(done)

    async def _report_pending(self) -> None:
        pending = 0
        for collection in self._collections:
            async for doc in collection.find({f"{PENDING}.0": {"$exists": True}}, {PENDING: 1}):
                pending += len(doc[PENDING])
        OUTBOX_PENDING.labels(service=self._service).set(pending)
