"""The dedupe window: recent event ids as digests in fixed tables, no object per id."""

from __future__ import annotations

import tracemalloc

from services.notify.dedupe import IdWindow


def test_the_window_names_the_first_position_of_an_id() -> None:
    window = IdWindow(size=10)

    assert window.first_position("a", 1) == 1
    assert window.first_position("a", 5) == 1  # republished: read once, at 1
    assert window.first_position("b", 6) == 6
    assert "a" in window and "b" in window and "c" not in window


def test_the_window_remembers_at_least_its_size_and_forgets_beyond_twice_that() -> None:
    window = IdWindow(size=100)
    for n in range(250):
        window.first_position(f"id-{n}", n + 1)

    assert all(f"id-{n}" in window for n in range(150, 250))  # the last 100, and more
    assert not any(f"id-{n}" in window for n in range(50))  # beyond 2 x 100: forgotten
    assert window.first_position("id-3", 999) == 999  # forgotten, so new again


def test_a_full_table_still_finds_every_id_it_holds() -> None:
    window = IdWindow(size=1000)  # 2,048 slots: half used when full
    for n in range(1000):
        window.first_position(f"event-{n}", n + 1)

    assert [window.first_position(f"event-{n}", 0) for n in range(1000)] == list(range(1, 1001))


def test_remembering_an_id_allocates_nothing_once_the_table_exists() -> None:
    window = IdWindow(size=5000)
    window.first_position("first", 1)  # makes the table
    ids = [f"evt-{n:08d}" for n in range(2000)]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for position, event_id in enumerate(ids, start=2):
            window.first_position(event_id, position)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert grown < 1024  # a dict kept ~170 bytes per id: 340 KB here


def test_a_window_that_never_sees_an_id_allocates_no_table() -> None:
    tracemalloc.start()
    try:
        window = IdWindow(size=100_000)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    assert "x" not in window and held < 4096
