"""The attempt history is written in batches off the delivery path, and read back current."""

from __future__ import annotations

from datetime import timedelta

from services.notify import deliveries
from services.notify.deliveries import Attempt, AttemptLog, AttemptRecord, delivery_id
from shared.clock import utcnow
from shared.pagination import PageRequest
from shared.storage import connect
from tests.support.eventually import eventually


def _record(subscription_id: str, event_id: str, number: int = 1) -> AttemptRecord:
    return AttemptRecord(
        delivery_id=delivery_id(subscription_id, event_id, None),
        subscription_id=subscription_id,
        event_id=event_id,
        event_type="agency.registered",
        subject="agency/1",
        origin="live",
        attempt=Attempt(number=number, at=utcnow(), duration_ms=1.0, outcome="succeeded"),
    )


def _log() -> AttemptLog:
    return AttemptLog(connect(None, "mpp_notify").db, timedelta(days=1), ttl_index=False)


async def test_an_append_writes_nothing_until_the_flusher_runs_then_everything_in_one_go() -> None:
    log = _log()
    for n in range(5):
        await log.append(_record("sub_a", f"evt_{n}"))
    assert await log.collection.count_documents({}) == 0
    await eventually(
        lambda: log.collection.count_documents({}),
        until=lambda written: written == 5,
        timeout=deliveries.FLUSH_SECONDS + 1,
    )
    await log.close()


async def test_a_full_batch_is_written_at_once() -> None:
    log = _log()
    for n in range(deliveries.FLUSH_BATCH):
        await log.append(_record("sub_a", f"evt_{n}"))
    assert await log.collection.count_documents({}) == deliveries.FLUSH_BATCH
    await log.close()


async def test_the_deliveries_view_shows_attempts_not_yet_flushed_in_order() -> None:
    log = _log()
    for n in range(3):
        await log.append(_record("sub_a", f"evt_{n}"))
    page = await log.list("sub_a", None, PageRequest(limit=10, cursor=None))
    assert [d.event_id for d in page.items] == ["evt_0", "evt_1", "evt_2"]
    assert (await log.get(delivery_id("sub_a", "evt_1", None))).attempt_count == 1
    await log.close()


async def test_closing_writes_what_is_buffered() -> None:
    log = _log()
    await log.append(_record("sub_a", "evt_0"))
    await log.close()
    assert await log.collection.count_documents({}) == 1
