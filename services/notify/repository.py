"""Subscriptions in ``mpp_notify.subscriptions`` and their delivery health.

Notify publishes no events: its aggregate store has no relay, but writes keep the
optimistic ``version`` check every service uses for ``If-Match``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.notify.domain import Subscription, SubscriptionFilter
from shared.clock import UtcDateTime
from shared.errors import ConcurrentModification
from shared.http.pagination import Page, PageRequest, fetch_page
from shared.outbox import AggregateStore
from shared.repository import Repository, from_document
from shared.storage import ASCENDING, Database, ReturnDocument

COLLECTION = "subscriptions"
HEALTH_COLLECTION = "subscription_health"


class SubscriptionRepository(Repository[Subscription]):
    def __init__(self, db: Database) -> None:
        super().__init__(AggregateStore(db[COLLECTION]), Subscription, "notify")

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING)])

    async def active(self) -> dict[str, Subscription]:
        """The subscriptions deliveries go out for now, by id."""
        return {
            doc["_id"]: from_document(Subscription, doc)
            async for doc in self.collection.find({"status": "active"})
        }

    async def all(self) -> list[Subscription]:
        """Every subscription (each replica caches them all)."""
        return [from_document(Subscription, doc) async for doc in self.collection.find({})]

    async def delete(self, subscription: Subscription) -> None:
        """Delete it, if nobody changed it since it was loaded."""
        result = await self.collection.delete_one(
            {"_id": subscription.id, "version": subscription.loaded_version}
        )
        if result.deleted_count == 0:
            raise ConcurrentModification(
                f"{subscription.id} changed while this request was handled; retry it",
                expected_version=subscription.loaded_version,
            )

    async def count_disabled(self) -> int:
        return int(await self.collection.count_documents({"status": "disabled"}))

    async def list(self, filters: SubscriptionFilter, page: PageRequest) -> Page[Subscription]:
        query: dict[str, Any] = {}
        if filters.status:
            query["status"] = filters.status
        return await fetch_page(
            self.collection, query, page, lambda doc: from_document(Subscription, doc)
        )


class SubscriptionHealth(BaseModel):
    """How a subscription's deliveries have been going."""

    consecutive_failures: int = Field(
        default=0,
        description="Messages in a row that exhausted their retries; at the threshold the"
        " subscription is disabled. A success resets it.",
    )
    last_success_at: UtcDateTime | None = None
    last_failure_at: UtcDateTime | None = None
    last_error: str | None = Field(default=None, description="What the last failure was.")


class HealthStore:
    """One small document per subscription, updated atomically by the dispatcher."""

    def __init__(self, db: Database) -> None:
        self._collection = db[HEALTH_COLLECTION]

    async def get(self, subscription_id: str) -> SubscriptionHealth:
        document = await self._collection.find_one({"_id": subscription_id})
        return SubscriptionHealth.model_validate(document or {})

    async def get_many(self, subscription_ids: list[str]) -> dict[str, SubscriptionHealth]:
        found = {
            doc["_id"]: SubscriptionHealth.model_validate(doc)
            async for doc in self._collection.find({"_id": {"$in": subscription_ids}})
        }
        return {i: found.get(i, SubscriptionHealth()) for i in subscription_ids}

    async def succeeded(self, subscription_id: str, at: datetime) -> None:
        await self._collection.update_one(
            {"_id": subscription_id},
            {"$set": {"consecutive_failures": 0, "last_success_at": at}},
            upsert=True,
        )

    async def attempt_failed(self, subscription_id: str, at: datetime, error: str) -> None:
        await self._collection.update_one(
            {"_id": subscription_id},
            {"$set": {"last_failure_at": at, "last_error": error}},
            upsert=True,
        )

    async def message_failed(self, subscription_id: str, at: datetime, error: str) -> int:
        """Count one more message that exhausted its retries; returns the run so far."""
        document = await self._collection.find_one_and_update(
            {"_id": subscription_id},
            {
                "$inc": {"consecutive_failures": 1},
                "$set": {"last_failure_at": at, "last_error": error},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(document["consecutive_failures"])

    async def reset(self, subscription_id: str) -> None:
        await self._collection.update_one(
            {"_id": subscription_id}, {"$set": {"consecutive_failures": 0}}
        )

    async def forget(self, subscription_id: str) -> None:
        await self._collection.delete_one({"_id": subscription_id})
