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
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
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
MAX_BACKOFF_SECONDS = 30.0
BROKER_CHECK_SECONDS = 0.2
RECOVERY_SECONDS = 10.0
"""After the broker is back, failures retry every ``QUICK_RETRY_SECONDS`` this long."""
QUICK_RETRY_SECONDS = 0.5


class AggregateStore:
    """Writes an aggregate's state and its events in one atomic document write.

    Args:
        collection: the aggregate's collection; documents keep ``_id`` and ``version``.
        on_commit: called with the collection and the aggregate's id after every write that
            added events (wakes the relay, which then looks at that aggregate first).
        derive: fields computed from each state written, stored beside it (see ``deriving``).
    """

    def __init__(
        self,
        collection: Collection,
        on_commit: Callable[[Collection, str], None] | None = None,
        derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.collection = collection
        self._on_commit = on_commit
        self._derive = derive or (lambda state: {})

    def deriving(self, derive: Callable[[dict[str, Any]], dict[str, Any]]) -> AggregateStore:
        """This store, also writing with each state the fields ``derive`` computes from it
        (a key a unique index needs, say), in the same atomic write."""
        return AggregateStore(self.collection, self._on_commit, derive)

    async def insert(self, document: dict[str, Any], events: Sequence[CloudEvent]) -> None:
        """Store a new aggregate with its first events; DuplicateKeyError on a clash."""
        await self.collection.insert_one(
            {
                **document,
                **self._derive(document),
                PENDING: [e.to_wire_dict() for e in events],
                PUBLISHED: [],
            }
        )
        self._committed(document["_id"], events)

    async def update(
        self,
        aggregate_id: str,
        expected_version: int,
        state: dict[str, Any],
        events: Sequence[CloudEvent],
    ) -> None:
        """Store ``state`` (the aggregate's document, all but ``_id``) if the stored version is
        still ``expected_version``.

        Raises ``ConcurrentModification`` when another writer got there first: nothing is
        written then, neither state nor events.
        """
        update: dict[str, Any] = {"$set": {**state, **self._derive(state)}}
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
        broker_ready: whether the broker is connected now; after a failure while it was not,
            the relay retries as soon as it is, instead of sleeping out its backoff.
        durable_store: whether the store keeps what is pending across a restart (MongoDB),
            for what the relay says when it stops with events unpublished.
    """

    def __init__(
        self,
        *,
        service: str,
        collections: Sequence[Collection],
        publisher: EventPublisher,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
        broker_ready: Callable[[], Awaitable[bool]] | None = None,
        durable_store: bool = True,
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
        self._broker_ready = broker_ready
        self._durable_store = durable_store
        self._published_total = 0
        self._broker_away = False
        self._broker_back_at = -float("inf")

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
        """Stop after one last pass, so a graceful shutdown leaves nothing it could publish.

        What that pass could not publish is logged as an error with its count: the events
        stay in the store, published on the next start with MongoDB, lost with the
        in-process store.
        """
        if self._task is None:
            return
        await cancel_and_wait(self._task)
        self._task = None
        try:
            async with asyncio.timeout(5):
                await self.drain()
            return
        except Exception as error:
            failure = repr(error)
        try:
            pending: int | str = await self.pending_events()
        except Exception as error:
            pending = f"unknown (the store did not answer: {error!r})"
        log.error(
            "outbox.pending_at_shutdown",
            pending_events=pending,
            error=failure,
            detail=(
                "kept in MongoDB: they are published when the service starts again"
                if self._durable_store
                else "LOST: the in-process store (MONGODB_URL unset) keeps nothing after exit"
            ),
        )

    async def pending_events(self) -> int:
        """How many events wait in the collections' outboxes now."""
        return (await self._find_pending())[1]

    async def _find_pending(self) -> tuple[dict[str, set[str]], int]:
        """The ids of aggregates with pending events, by collection, and how many events."""
        by_collection: dict[str, set[str]] = {}
        events = 0
        for collection in self._collections:
            async for document in collection.find(
                {f"{PENDING}.0": {"$exists": True}}, {PENDING: 1}
            ):
                by_collection.setdefault(collection.name, set()).add(document["_id"])
                events += len(document[PENDING])
        return by_collection, events

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
                await self._count_backlog()
                await self._pause_after_failure()
                continue
            if self._hints:
                continue
            until_full_pass = max(0.0, self._poll - (time.monotonic() - last_full_pass))
            await wait_for_signal(self._wake, until_full_pass)

    async def _count_backlog(self) -> None:
        """Keep ``mpp_outbox_pending_events`` current while the broker is away."""
        try:
            pending = await self.pending_events()
        except Exception as error:  # the store is away too: the next pass will tell
            log.warning("outbox.backlog_unknown", error=repr(error))
            return
        OUTBOX_PENDING.labels(service=self._service).set(pending)

    async def _pause_after_failure(self) -> None:
        """Sleep the backoff, but end it as soon as a broker that was away is back.

        A failure while the broker answers (a refused confirm, the store) backs off,
        doubling up to 30 s; an outage ends the pause the moment /readyz would say ready.
        For a while after that, failures (channels still being restored) retry quickly.
        """
        deadline = time.monotonic() + self._backoff
        while (left := deadline - time.monotonic()) > 0:
            if self._broker_ready is None:
                await asyncio.sleep(left)
                break
            if not await self._broker_ready():
                self._broker_away = True
            elif self._broker_away:
                self._broker_away = False
                self._broker_back_at = time.monotonic()
                log.info("outbox.broker_back", retrying="now")
                self._backoff = self._poll
                return
            elif time.monotonic() - self._broker_back_at < RECOVERY_SECONDS:
                await asyncio.sleep(min(QUICK_RETRY_SECONDS, left))
                return
            await asyncio.sleep(min(BROKER_CHECK_SECONDS, left))
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)

    async def drain(self) -> int:
        """Publish everything pending now; returns how many events were published.

        Stops at the first event the broker does not take (raising), leaving it and the
        events after it pending, so order per aggregate holds.
        """
        pending_by_collection, pending_events = await self._find_pending()
        gauge = OUTBOX_PENDING.labels(service=self._service)
        gauge.set(pending_events)
        published_before = self._published_total
        try:
            return await self._drain_hinted(pending_by_collection)
        finally:
            gauge.set(max(0, pending_events - (self._published_total - published_before)))

    async def _drain_hinted(self, hints: dict[str, set[str]]) -> int:
        """Publish the pending events of the named aggregates (those another relay holds wait)."""
        published = 0
        for collection in self._collections:
            ids = sorted(hints.get(collection.name, ()))
            for start in range(0, len(ids), LEASE_BATCH):
                leased = await self._lease(collection, ids[start : start + LEASE_BATCH])
                for index, document in enumerate(leased):
                    try:
                        published += await self._publish_document(collection, document)
                    except BaseException:
                        # the rest of the batch would wait out its lease after the broker is back
                        await self._release(collection, leased[index + 1 :])
                        raise
        return published

    async def _release(self, collection: Collection, documents: list[dict[str, Any]]) -> None:
        """Give up the leases on ``documents`` (ours still), so the next pass takes them at once."""
        if not documents:
            return
        try:
            await collection.update_many(
                {
                    "_id": {"$in": [d["_id"] for d in documents]},
                    LEASE_OWNER: documents[0][LEASE_OWNER],
                },
                {"$unset": {LEASE: "", LEASE_OWNER: ""}},
            )
        except Exception as error:  # the store is away too: the leases expire by themselves
            log.warning("outbox.release_failed", error=repr(error))

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
            {"_id": {"$in": ids}, LEASE_OWNER: token}, {PENDING: 1, LEASE_OWNER: 1}
        ).to_list(None)
        return leased

    async def _publish_document(self, collection: Collection, document: dict[str, Any]) -> int:
        done: list[str] = []
        try:
            for raw in document[PENDING]:
                event = CloudEvent.model_validate(raw)
                await self._publisher.publish(event)
                done.append(event.id)
                self._published_total += 1
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
