"""Webhook deliveries: one document per (subscription, event) to send, with every attempt.

A delivery is created when an event is logged (fan-out) or replayed, stored before any
attempt, so nothing waits in memory: a restarted replica finds what is due. Statuses:

* ``pending``: not attempted yet;
* ``failed``: the last attempt failed, another is scheduled at ``next_attempt_at``;
* ``succeeded``: a receiver answered 2xx;
* ``dead``: no attempt left (or the receiver answered 410); an operator can retry it.

A dispatcher claims a delivery with a lease (``_lease_until``, ``_claim``) in one conditional
update, so two replicas never send the same attempt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.notify.eventlog import LoggedEvent
from shared.clock import UtcDateTime, new_id, utcnow
from shared.errors import NotFound
from shared.http.pagination import Page, PageRequest, fetch_page
from shared.storage import ASCENDING, Database, DuplicateKeyError, ReturnDocument

COLLECTION = "deliveries"
LEASE = "_lease_until"
CLAIM = "_claim"
DEDUPE = "_dedupe"

DeliveryStatus = Literal["pending", "succeeded", "failed", "dead"]
AttemptOutcome = Literal["succeeded", "failed", "dead"]
Origin = Literal["live", "replay"]

FIRST_ATTEMPT_ORDER = [("position", ASCENDING), ("_id", ASCENDING)]


def _unleased(now: datetime) -> dict[str, Any]:
    """The condition of a delivery no dispatcher holds a lease on."""
    return {"$or": [{LEASE: None}, {LEASE: {"$lte": now}}]}


class Attempt(BaseModel):
    """One try at delivering: what the receiver answered, or why there was no answer."""

    number: int = Field(ge=1)
    at: UtcDateTime
    duration_ms: float
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    retry_after_seconds: float | None = None
    outcome: AttemptOutcome
    next_attempt_at: UtcDateTime | None = None


class Delivery(BaseModel):
    """An event on its way to one subscription."""

    id: str
    subscription_id: str
    event_id: str = Field(description="Also the `webhook-id` of every attempt.")
    event_type: str
    subject: str
    position: int = Field(description="The event's position in the log.")
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

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Delivery:
        fields = {k: v for k, v in document.items() if not k.startswith("_")}
        return cls.model_validate({**fields, "id": document["_id"]})


class DeliveryStore:
    """Deliveries in ``mpp_notify.deliveries``."""

    def __init__(self, db: Database) -> None:
        self.collection = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([(DEDUPE, ASCENDING)], unique=True)
        await self.collection.create_index(
            [
                ("subscription_id", ASCENDING),
                ("status", ASCENDING),
                ("attempt_count", ASCENDING),
                *FIRST_ATTEMPT_ORDER,
            ]
        )
        await self.collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.collection.create_index([("subscription_id", ASCENDING), ("_id", ASCENDING)])

    async def create(
        self,
        subscription_ids: Iterable[str],
        logged: LoggedEvent,
        *,
        first_attempt_at: datetime,
        origin: Origin = "live",
        replay_id: str | None = None,
    ) -> int:
        """A delivery of ``logged`` to each subscription; returns how many are new.

        Idempotent for live deliveries: a redelivered event creates none a second time.
        """
        now = utcnow()
        created = 0
        for subscription_id in subscription_ids:
            key = f"{subscription_id}:{logged.id}:{replay_id or origin}"
            document = {
                "_id": new_id("dlv"),
                DEDUPE: key,
                "subscription_id": subscription_id,
                "event_id": logged.id,
                "event_type": logged.type,
                "subject": str(logged.event.get("subject", "")),
                "position": logged.position,
                "origin": origin,
                "replay_id": replay_id,
                "status": "pending",
                "attempt_count": 0,
                "next_attempt_at": first_attempt_at,
                "created_at": now,
                "updated_at": now,
                "attempts": [],
            }
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.insert_one(document)
                created += 1
        return created

    async def get(self, delivery_id: str) -> Delivery:
        document = await self.collection.find_one({"_id": delivery_id})
        if document is None:
            raise NotFound(f"delivery {delivery_id} does not exist")
        return Delivery.from_document(document)

    # --- the dispatcher's side --------------------------------------------------------------

    async def with_first_attempts_due(self, now: datetime) -> set[str]:
        """The subscriptions that have a delivery waiting for its first attempt."""
        ids = await self.collection.distinct(
            "subscription_id",
            {"status": "pending", "attempt_count": 0, "next_attempt_at": {"$lte": now}},
        )
        return set(ids)

    async def claim_first_attempt(
        self, subscription_id: str, now: datetime, lease_until: datetime, claim: str
    ) -> dict[str, Any] | None:
        """Lease the subscription's earliest unattempted delivery, if it is due and free.

        Only the earliest: while its first attempt is in flight, the next waits, which keeps
        the order of first attempts per subscription.
        """
        head = await self.collection.find_one(
            {"subscription_id": subscription_id, "status": "pending", "attempt_count": 0},
            sort=FIRST_ATTEMPT_ORDER,
        )
        if head is None or head["next_attempt_at"] > now:
            return None
        if head.get(LEASE) is not None and head[LEASE] > now:
            return None
        return await self._lease(
            {"_id": head["_id"], "status": "pending", "attempt_count": 0}, now, lease_until, claim
        )

    async def claim_retry(
        self, subscription_ids: Iterable[str], now: datetime, lease_until: datetime, claim: str
    ) -> dict[str, Any] | None:
        """Lease the most overdue retry among ``subscription_ids``."""
        return await self._lease(
            {
                "status": "failed",
                "next_attempt_at": {"$lte": now},
                "subscription_id": {"$in": list(subscription_ids)},
            },
            now,
            lease_until,
            claim,
            sort=[("next_attempt_at", ASCENDING)],
        )

    async def _lease(
        self,
        query: dict[str, Any],
        now: datetime,
        lease_until: datetime,
        claim: str,
        sort: list[tuple[str, int]] | None = None,
    ) -> dict[str, Any] | None:
        document: dict[str, Any] | None = await self.collection.find_one_and_update(
            {**query, **_unleased(now)},
            {"$set": {LEASE: lease_until, CLAIM: claim}},
            sort=sort,
            return_document=ReturnDocument.AFTER,
        )
        return document

    async def record(
        self,
        delivery_id: str,
        claim: str,
        attempt: Attempt,
        status: DeliveryStatus,
        attempt_count: int,
    ) -> None:
        """Store an attempt and what follows from it, and give the lease back."""
        changes: dict[str, Any] = {
            "status": status,
            "attempt_count": attempt_count,
            "next_attempt_at": attempt.next_attempt_at,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
            "updated_at": utcnow(),
        }
        if status == "succeeded":
            changes["succeeded_at"] = attempt.at
        pushed = {"attempts": attempt.model_dump()}
        result = await self.collection.update_one(
            {"_id": delivery_id, CLAIM: claim},
            {"$set": changes, "$push": pushed, "$unset": {LEASE: "", CLAIM: ""}},
        )
        if result.matched_count == 0:
            # Our lease ran out and another replica took the delivery: keep the log only.
            await self.collection.update_one({"_id": delivery_id}, {"$push": pushed})

    async def release(self, delivery_id: str, claim: str) -> None:
        """Give back a lease without an attempt (shutdown mid-flight)."""
        await self.collection.update_one(
            {"_id": delivery_id, CLAIM: claim}, {"$unset": {LEASE: "", CLAIM: ""}}
        )

    async def next_retry_at(
        self, subscription_ids: Iterable[str], now: datetime
    ) -> datetime | None:
        """When the earliest retry of ``subscription_ids`` that nobody holds is due."""
        documents = (
            await self.collection.find(
                {
                    "status": "failed",
                    "subscription_id": {"$in": list(subscription_ids)},
                    **_unleased(now),
                },
                {"next_attempt_at": 1},
            )
            .sort("next_attempt_at", ASCENDING)
            .limit(1)
            .to_list(None)
        )
        return documents[0]["next_attempt_at"] if documents else None

    # --- operators' side --------------------------------------------------------------------

    async def request_retry(self, delivery_id: str, now: datetime) -> Delivery:
        """Attempt an attempted delivery again now (a pending one is on its way already)."""
        await self.collection.update_one(
            {"_id": delivery_id, "attempt_count": {"$gt": 0}},
            {"$set": {"status": "failed", "next_attempt_at": now, "updated_at": now}},
        )
        return await self.get(delivery_id)

    async def delete_for(self, subscription_id: str) -> None:
        await self.collection.delete_many({"subscription_id": subscription_id})

    async def count(self, status: DeliveryStatus) -> int:
        return int(await self.collection.count_documents({"status": status}))

    async def list(
        self, subscription_id: str, status: DeliveryStatus | None, page: PageRequest
    ) -> Page[Delivery]:
        query: dict[str, Any] = {"subscription_id": subscription_id}
        if status:
            query["status"] = status
        return await fetch_page(self.collection, query, page, Delivery.from_document)
