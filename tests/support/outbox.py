"""What a service's transactional outbox has published, read from its stored documents.

Tests assert that an event was published once (or not at all) on this stored state, not by
waiting a while: once an aggregate's outbox is empty its relay publishes nothing more of it.
"""

from __future__ import annotations

from typing import Any

from shared.outbox import PENDING, PUBLISHED
from shared.storage import Storage
from tests.support.broker import EventTap
from tests.support.eventually import eventually


async def outbox_of(storage: Storage, collection: str, aggregate_id: str) -> dict[str, Any]:
    """The aggregate's outbox: ``pending`` events (wire dicts) and ``published`` ids."""
    document = await storage.db[collection].find_one({"_id": aggregate_id})
    assert document is not None, f"{aggregate_id} is not stored in {collection}"
    return {"pending": document[PENDING], "published": document[PUBLISHED]}


async def all_published(
    storage: Storage, collection: str, aggregate_id: str, timeout: float = 10.0
) -> list[str]:
    """Wait until the relay has published every event of the aggregate; the ids it marked
    published (the last few the outbox keeps)."""
    outbox = await eventually(
        lambda: outbox_of(storage, collection, aggregate_id),
        until=lambda found: not found["pending"],
        timeout=timeout,
        what=f"{aggregate_id}'s outbox published",
    )
    published: list[str] = outbox["published"]
    return published


async def all_seen(tap: EventTap, storage: Storage, collection: str, *aggregate_ids: str) -> None:
    """Wait until every event of these aggregates is published and ``tap`` has taken it: what
    the tap lacks after this was never published, and nothing more of them will be."""
    for aggregate_id in aggregate_ids:
        await all_published(storage, collection, aggregate_id)
    await tap.caught_up()
