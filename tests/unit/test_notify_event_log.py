"""The event log: positions, deduplication, filters, and readers that never skip an entry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.eventlog import COUNTERS, POSITION_COUNTER, EventLog, EventLogFilter
from shared.events.envelope import CloudEvent
from shared.storage import Storage


def event(event_type: str = "mou.signed", subject: str = "mou_1", **kw: object) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        source=f"/mpp/{event_type.split('.')[0]}",
        subject=subject,
        data={"version": 1},
        correlation_id="c-1",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def log(notify_storage: Storage) -> EventLog:
    events = EventLog(notify_storage.db, gap_grace_seconds=0.3)
    await events.ensure_indexes()
    return events


async def test_events_get_increasing_positions_in_arrival_order(log: EventLog) -> None:
    first, second, third = event(), event("mall.planned"), event("agency.registered")

    logged = [await log.append(e) for e in (first, second, third)]

    assert [(entry.position, new) for entry, new in logged] == [(1, True), (2, True), (3, True)]
    assert [entry.id for entry, _ in logged] == [first.id, second.id, third.id]
    assert await log.head() == 3


async def test_an_event_seen_twice_is_logged_once_at_its_first_position(log: EventLog) -> None:
    once = event()
    await log.append(once)
    await log.append(event())

    again, new = await log.append(once)

    assert (again.position, new) == (1, False)
    page = await log.page(EventLogFilter(), 10, None, None)
    assert [e.id for e in page.items].count(once.id) == 1


async def test_concurrent_appends_get_distinct_consecutive_positions(log: EventLog) -> None:
    results = await asyncio.gather(*(log.append(event(subject=f"mou_{i}")) for i in range(30)))

    assert sorted(entry.position for entry, _ in results) == list(range(1, 31))


async def test_the_logged_body_is_the_cloudevent_as_compact_json(log: EventLog) -> None:
    original = event()
    entry, _ = await log.append(original)

    assert CloudEvent.model_validate_json(entry.body()) == original
    assert b": " not in entry.body()


async def test_reading_after_a_position_filters_by_type_and_still_moves_past_the_rest(
    log: EventLog,
) -> None:
    for event_type in ("mou.drafted", "agency.registered", "mall.inaugurated", "mall.planned"):
        await log.append(event(event_type))

    everything, read_to = await log.read_after(0, 10)
    assert [e.position for e in everything] == [1, 2, 3, 4] and read_to == 4

    wanted, read_to = await log.read_after(1, 10, ["mou.*", "mall.inaugurated"])
    assert [e.type for e in wanted] == ["mall.inaugurated"]
    assert read_to == 4

    first_two, read_to = await log.read_after(0, 2)
    assert [e.position for e in first_two] == [1, 2] and read_to == 2


async def test_readers_wait_for_a_position_taken_but_not_yet_written(
    log: EventLog, notify_storage: Storage
) -> None:
    await log.append(event(subject="before"))
    # Another replica took position 2 and has not written its event yet.
    await notify_storage.db[COUNTERS].update_one({"_id": POSITION_COUNTER}, {"$inc": {"value": 1}})
    after, _ = await log.append(event(subject="after"))
    assert after.position == 3

    visible, read_to = await log.read_after(1, 10)
    assert visible == [] and read_to == 1
    assert await log.head() == 1
    assert (await log.page(EventLogFilter(), 10, None, None)).items[-1].position == 1

    # Once the grace period is over, the position is taken to be empty.
    async with asyncio.timeout(5):
        while not (visible := (await log.read_after(1, 10))[0]):
            await asyncio.sleep(0.05)
    assert [e.position for e in visible] == [3]


async def test_a_late_write_within_the_grace_period_is_read_in_its_place(
    notify_storage: Storage,
) -> None:
    events = EventLog(notify_storage.db, gap_grace_seconds=30)
    await events.ensure_indexes()
    await events.append(event(subject="one"))
    counters = notify_storage.db[COUNTERS]
    await counters.update_one({"_id": POSITION_COUNTER}, {"$inc": {"value": 1}})
    await events.append(event(subject="three"))
    assert (await events.read_after(1, 10))[0] == []

    # The slow replica writes position 2 after all.
    late = event(subject="two")
    await notify_storage.db["event_log"].insert_one(
        {
            "_id": late.id,
            "position": 2,
            "type": late.type,
            "subject": late.subject,
            "time": late.time,
            "logged_at": datetime.now(UTC),
            "event": late.to_wire_dict(),
        }
    )

    visible, _ = await events.read_after(1, 10)
    assert [e.event["subject"] for e in visible] == ["two", "three"]


async def test_pages_filter_by_type_pattern_subject_and_time_and_follow_cursors(
    log: EventLog,
) -> None:
    start = datetime(2022, 5, 24, tzinfo=UTC)
    for i in range(6):
        await log.append(
            event("mou.party_signed", subject="mou_A", time=start + timedelta(hours=i))
        )
    await log.append(event("mall.inaugurated", subject="mal_B", time=start))
    await log.append(event("agency.registered", subject="agc_C", time=start))

    first = await log.page(EventLogFilter(types=["mou.*"]), 4, None, None)
    assert [e.position for e in first.items] == [1, 2, 3, 4]
    assert first.next_cursor is not None
    second = await log.page(EventLogFilter(types=["mou.*"]), 4, first.next_cursor, None)
    assert [e.position for e in second.items] == [5, 6] and second.next_cursor is None

    by_subject = await log.page(EventLogFilter(subject="mal_B"), 10, None, None)
    assert [e.type for e in by_subject.items] == ["mall.inaugurated"]

    window = EventLogFilter(
        types=["mou.party_signed"],
        since=start + timedelta(hours=2),
        until=start + timedelta(hours=4),
    )
    assert [e.position for e in (await log.page(window, 10, None, None)).items] == [3, 4]

    several = EventLogFilter(types=["mall.#", "agency.registered"])
    assert [e.position for e in (await log.page(several, 10, None, None)).items] == [7, 8]
    assert [e.position for e in (await log.page(EventLogFilter(), 10, None, 6)).items] == [7, 8]
