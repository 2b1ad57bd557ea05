"""The live ring's storage: entries packed in blocks, read back as they were logged."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

from services.notify.eventlog import LoggedEvent
from services.notify.livelog import sse_frame
from services.notify.ring import BLOCK_ENTRIES, LogRing
from shared.events.envelope import CloudEvent


def logged(position: int, subject: str = "mou_1", size: int = 0) -> LoggedEvent:
    event = CloudEvent.new(
        type="mou.noted",
        source="/mpp/mou",
        subject=subject,
        data={"version": 1, "note": "x" * size},
        correlation_id="c-1",
    )
    entry = LoggedEvent.decode(position, event.to_json_bytes(), datetime(2026, 11, 29, tzinfo=UTC))
    assert entry is not None
    return entry


def filled(count: int, size: int = 10_000, first: int = 1) -> LogRing:
    ring = LogRing(size)
    for position in range(first, first + count):
        entry = logged(position)
        ring.append(entry, sse_frame(entry))
    return ring


def test_an_entry_reads_back_as_it_was_logged_with_its_frame() -> None:
    ring = LogRing(10)
    entry = logged(7, subject="mou_é")  # not ASCII: kept as UTF-8
    object.__setattr__(entry, "_publisher", "mou-service")
    ring.append(entry, sse_frame(entry))

    [(block, index)] = list(ring.after(0))
    again = block.entry(index)

    assert again.model_dump() == entry.model_dump()
    assert (again.id, again.type, again.subject, again.time, again.publisher) == (
        entry.id, entry.type, "mou_é", entry.time, "mou-service"
    )  # fmt: skip
    assert again.body() == entry.body() and again.logged_at == entry.logged_at
    assert bytes(block.frame(index)) == sse_frame(entry) and block.type(index) == "mou.noted"


def test_reading_after_a_position_starts_at_the_next_entry_across_blocks() -> None:
    ring = filled(3 * BLOCK_ENTRIES, first=10)

    positions = [block.positions[i] for block, i in ring.after(10 + BLOCK_ENTRIES)]

    assert positions == list(range(11 + BLOCK_ENTRIES, 10 + 3 * BLOCK_ENTRIES))
    assert [b.positions[i] for b, i in ring.after(0)][:2] == [10, 11]
    assert list(ring.after(10 + 3 * BLOCK_ENTRIES)) == []


def test_the_ring_keeps_at_least_its_size_dropping_whole_blocks() -> None:
    ring = filled(5 * BLOCK_ENTRIES, size=BLOCK_ENTRIES + 10)

    assert BLOCK_ENTRIES + 10 <= len(ring) < 2 * BLOCK_ENTRIES + 10
    first = ring.first_position
    assert first is not None and first == 5 * BLOCK_ENTRIES - len(ring) + 1
    assert next(b.positions[i] for b, i in ring.after(0)) == first


def test_a_reader_finishes_the_blocks_it_started_while_the_ring_moves_on() -> None:
    ring = filled(BLOCK_ENTRIES, size=BLOCK_ENTRIES)
    reading = ring.after(0)
    next(reading)

    for position in range(BLOCK_ENTRIES + 1, 3 * BLOCK_ENTRIES + 1):
        entry = logged(position)
        ring.append(entry, sse_frame(entry))  # the block being read is dropped meanwhile

    read = [block.positions[i] for block, i in reading]
    assert read == list(range(2, 2 + len(read))) and len(read) >= BLOCK_ENTRIES - 1
    first = ring.first_position
    assert first is not None and first > 1


def test_an_entry_larger_than_a_block_gets_a_block_of_its_own() -> None:
    ring = filled(2)
    big = logged(3, size=400_000)
    ring.append(big, sse_frame(big))

    entries = [block.entry(i) for block, i in ring.after(0)]

    assert [e.position for e in entries] == [1, 2, 3] and entries[-1].body() == big.body()


def test_appending_entries_allocates_per_block_not_per_entry() -> None:
    entries = [logged(position) for position in range(1, 1001)]
    frames = [sse_frame(entry) for entry in entries]
    ring = LogRing(10_000)

    tracemalloc.start()
    try:
        for entry, frame in zip(entries, frames, strict=True):
            ring.append(entry, frame)
        live = tracemalloc.take_snapshot().statistics("traceback")
    finally:
        tracemalloc.stop()

    allocations = sum(stat.count for stat in live)
    blocks = len({id(block) for block, _ in ring.after(0)})
    assert blocks <= 3 and allocations <= 10 * blocks + 10  # as objects: a dozen per entry
