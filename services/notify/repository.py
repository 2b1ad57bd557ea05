"""Subscriptions in ``mpp_notify.subscriptions`` and their delivery health.

Notify publishes no events: its aggregate store has no relay, but writes keep the
optimistic ``version`` check every service uses for ``If-Match``.

Signing secrets are encrypted here and nowhere else (``shared.secrets``): the store holds
``fernet:...`` tokens, the rest of notify sees plain text. A secret no configured key
decrypts loads as ``UNREADABLE_SECRET`` and is never written back over what is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.notify.domain import UNREADABLE_SECRET, Subscription, SubscriptionFilter
from shared.clock import UtcDateTime
from shared.errors import ConcurrentModification
from shared.logging import get_logger
from shared.outbox import AggregateStore
from shared.pagination import Page, PageRequest, fetch_page
from shared.repository import Repository, from_document, to_document
from shared.secrets import SecretBox, SecretUnreadable
from shared.storage import ASCENDING, Database, ReturnDocument

log = get_logger(__name__)

COLLECTION = "subscriptions"
HEALTH_COLLECTION = "subscription_health"


class SubscriptionRepository(Repository[Subscription]):
    """Subscriptions, their secrets encrypted at rest with ``box``."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        super().__init__(AggregateStore(db[COLLECTION]), Subscription, "notify")
        self._box = box

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING)])

    # --- secrets at rest ---------------------------------------------------------------------

    def _to_document(self, aggregate: Subscription) -> dict[str, Any]:
        document = to_document(aggregate)
        if aggregate.secret == UNREADABLE_SECRET:
            del document["secret"]  # keep the stored token: the right key may come back
        else:
            document["secret"] = self._box.encrypt(aggregate.secret)
        previous = document["previous_secrets"]
        if any(p["secret"] == UNREADABLE_SECRET for p in previous):
            del document["previous_secrets"]
        else:
            for entry in previous:
                entry["secret"] = self._box.encrypt(entry["secret"])
        return document

    def _from_document(self, document: dict[str, Any]) -> Subscription:
        opened = {
            **document,
            "secret": self._open(document.get("secret", "")),
            "previous_secrets": [
                {**p, "secret": self._open(p["secret"])}
                for p in document.get("previous_secrets", [])
            ],
        }
        return from_document(Subscription, opened)

    def _open(self, stored: str) -> str:
        try:
            return self._box.decrypt(stored)
        except SecretUnreadable:
            return UNREADABLE_SECRET

    async def secure_stored_secrets(self) -> int:
        """Encrypt plain-text secrets (stored before encryption) and re-encrypt those under
        an older key with the first one, so an old key can be retired; returns how many.

        Logs the subscriptions whose secrets no configured key decrypts.
        """
        changed, unreadable = 0, []
        fields = {"secret": 1, "previous_secrets": 1, "version": 1}
        async for document in self.collection.find({}, fields):
            previous = document.get("previous_secrets", [])
            stored = [document.get("secret", ""), *(p["secret"] for p in previous)]
            if all(self._box.is_current(s) for s in stored):
                continue
            try:
                fresh = {
                    "secret": self._box.reencrypt(stored[0]),
                    "previous_secrets": [
                        {**p, "secret": self._box.reencrypt(p["secret"])} for p in previous
                    ],
                }
            except SecretUnreadable:
                unreadable.append(document["_id"])
                continue
            result = await self.collection.update_one(
                {"_id": document["_id"], "version": document.get("version")}, {"$set": fresh}
            )
            changed += result.modified_count
        if changed:
            log.info("subscriptions.secrets_encrypted", count=changed)
        if unreadable:
            log.error(
                "subscriptions.secrets_unreadable",
                subscription_ids=unreadable,
                detail="MPP_SECRET_KEYS lacks the key these secrets were stored with: their"
                " deliveries fail until it is restored or each secret is rotated",
            )
        return changed

    # --- queries -----------------------------------------------------------------------------

    async def active(self) -> dict[str, Subscription]:
        """The subscriptions deliveries go out for now, by id."""
        return {
            doc["_id"]: self._from_document(doc)
            async for doc in self.collection.find({"status": "active"})
        }

    async def all(self) -> list[Subscription]:
        """Every subscription (each replica caches them all), secrets decrypted."""
        return [self._from_document(doc) async for doc in self.collection.find({})]

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
        query = filters.equal_at(status="status")
        return await fetch_page(self.collection, query, page, self._from_document)


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
