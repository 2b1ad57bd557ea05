"""A relay that fails mid-batch gives back the leases it has not used."""

from __future__ import annotations

from typing import Any

import pytest

from shared.events.envelope import CloudEvent
from shared.events.examples import EXAMPLES
from shared.outbox import LEASE, LEASE_OWNER, PENDING, OutboxRelay
from tests.support.servers import drop_storage, fresh_storage


class BrokerGoneAway:
    """A publisher whose broker has just gone away."""

    async def publish(self, event: CloudEvent) -> None:
        raise ConnectionError("broker unreachable")


async def test_a_failed_publish_releases_the_leases_of_the_rest_of_its_batch() -> None:
    storage = fresh_storage("agency")
    try:
        collection = storage.db["agencies"]
        ids = [f"agc_{n}" for n in range(3)]
        for aggregate_id in ids:
            event = CloudEvent.new(
                type="agency.registered",
                source="/mpp/agency",
                subject=aggregate_id,
                data=EXAMPLES["agency.registered"],
                correlation_id="test",
            )
            pending: dict[str, Any] = event.model_dump(mode="json")
            await collection.insert_one({"_id": aggregate_id, PENDING: [pending]})
        relay = OutboxRelay(
            service="agency",
            collections=[collection],
            publisher=BrokerGoneAway(),  # type: ignore[arg-type]
        )

        with pytest.raises(ConnectionError):
            await relay._drain_hinted({"agencies": set(ids)})

        leased = await collection.count_documents(
            {"$or": [{LEASE: {"$ne": None}}, {LEASE_OWNER: {"$exists": True}}]}
        )
        assert leased == 0
        assert await collection.count_documents({f"{PENDING}.0": {"$exists": True}}) == 3
    finally:
        await drop_storage(storage)
