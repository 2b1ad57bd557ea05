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
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from shared.background import cancel_and_wait, wait_for_signal
from shared.clock import utcnow
from shared.errors import ConcurrentModification
from shared.events.envelope import CloudEvent
from shared.logging import get_logger
from shared.messaging.publisher import EventPublisher
from shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISH_FAILURES
from shared.storage import ASCENDING, Collection

log = get_logger(__name__)

PENDING = "_outbox"
PUBLISHED = "_published"
LEASE = "_outbox_lease"
LEASE_OWNER = "_outbox_lease_owner"
LEASE_BATCH = 100
PUBLISHED_KEPT = 20


class AggregateStore:
    """Writes an aggregate's state and its events in one atomic document write.

    Args:
        collection: the aggregate's collection; documents keep ``_id`` and ``version``.
        on_commit: called with the collection and the aggregate's id after every write that
            added events (wakes the relay, which then looks at that aggregate first).
    """

    def __init__(
        self,
        collection: Collection,
        on_commit: Callable[[Collection, str], None] | None = None,
    ) -> None:
        self.collection = collection
        self._on_commit = on_commit

    async def insert(self, document: dict[str, Any], events: Sequence[CloudEvent]) -> None:
        """Store a new aggregate with its first events; DuplicateKeyError on a clash."""
        await self.collection.insert_one(
            {**document, PENDING: [e.to_wire_dict() for e in events], PUBLISHED: []}
        )
        self._committed(document["_id"], events)

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
        self._committed(aggregate_id, events)

    def _committed(self, aggregate_id: str, events: Sequence[CloudEvent]) -> None:
        if events and self._on_commit is not None:
            self._on_commit(self.collection, aggregate_id)


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
        self._lease_span = timedelta(seconds=lease_seconds)
        self._wake = asyncio.Event()
        self._hints: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._backoff = poll_seconds

    def add_collection(self, collection: Collection) -> None:
        """Also relay the events of ``collection``."""
        self._collections.append(collection)

    def wake(self, collection: Collection | None = None, aggregate_id: str | None = None) -> None:
        """Ask for a pass now; with an aggregate named, the pass looks only at it.

        Looking up the aggregates just written, instead of searching every collection for
        pending events, keeps the relay's cost per event constant; the full search still
        runs every ``poll_seconds`` for what other replicas or a crash left behind.
        """
        if collection is not None and aggregate_id is not None:
            self._hints.setdefault(collection.name, set()).add(aggregate_id)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"{self._service}-outbox-relay")

    async def stop(self) -> None:
        """Stop after one last pass, so a graceful shutdown leaves nothing it could publish."""
        if self._task is None:
            return
        await cancel_and_wait(self._task)
        self._task = None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await self.drain()

    async def _run(self) -> None:
        last_full_pass = -float("inf")
        while True:
            self._wake.clear()
            hints, self._hints = self._hints, {}
            full_pass_due = time.monotonic() - last_full_pass >= self._poll
            try:
                if full_pass_due:
                    await self.drain()
                    last_full_pass = time.monotonic()
                else:
                    await self._drain_hinted(hints)
                self._backoff = self._poll
            except Exception as error:
                OUTBOX_PUBLISH_FAILURES.labels(service=self._service).inc()
                log.warning(
                    "outbox.publish_failed",
                    error=repr(error),
                    retry_in_seconds=round(self._backoff, 2),
                )
                last_full_pass = -float("inf")  # after a failure, search everything again
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, 30.0)
                continue
            if self._hints:
                continue
            until_full_pass = max(0.0, self._poll - (time.monotonic() - last_full_pass))
            await wait_for_signal(self._wake, until_full_pass)

    async def drain(self) -> int:
        """Publish everything pending now; returns how many events were published.

        Stops at the first event the broker does not take (raising), leaving it and the
        events after it pending, so order per aggregate holds.
        """
        pending_by_collection: dict[str, set[str]] = {}
        pending_events = 0
        for collection in self._collections:
            async for document in collection.find(
                {f"{PENDING}.0": {"$exists": True}}, {PENDING: 1}
            ):
                pending_by_collection.setdefault(collection.name, set()).add(document["_id"])
                pending_events += len(document[PENDING])
        OUTBOX_PENDING.labels(service=self._service).set(pending_events)
        return await self._drain_hinted(pending_by_collection)

    async def _drain_hinted(self, hints: dict[str, set[str]]) -> int:
        """Publish the pending events of the named aggregates (those another relay holds wait)."""
        published = 0
        for collection in self._collections:
            ids = sorted(hints.get(collection.name, ()))
            for start in range(0, len(ids), LEASE_BATCH):
                for document in await self._lease(collection, ids[start : start + LEASE_BATCH]):
                    published += await self._publish_document(collection, document)
        return published

    async def _lease(self, collection: Collection, ids: list[str]) -> list[dict[str, Any]]:
        """Take a lease on those of ``ids`` that have pending events and no live lease.

        Two round trips for a whole batch; the lease expires, so a relay that died holding it
        does not block the aggregate for ever.
        """
        now = utcnow()
        token = uuid.uuid4().hex
        await collection.update_many(
            {
                "_id": {"$in": ids},
                f"{PENDING}.0": {"$exists": True},
                "$or": [{LEASE: None}, {LEASE: {"$lt": now}}],
            },
            {"$set": {LEASE: now + self._lease_span, LEASE_OWNER: token}},
        )
        leased: list[dict[str, Any]] = await collection.find(
            {LEASE_OWNER: token}, {PENDING: 1}
        ).to_list(None)
        return leased

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
            update: dict[str, Any] = {"$unset": {LEASE: "", LEASE_OWNER: ""}}
            if done:
                update["$pull"] = {PENDING: {"id": {"$in": done}}}
                update["$push"] = {PUBLISHED: {"$each": done, "$slice": -PUBLISHED_KEPT}}
            await collection.update_one({"_id": document["_id"]}, update)
        return len(done)
