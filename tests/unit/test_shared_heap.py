"""The heap trimmer: one collection and trim after a burst of asks, in a context of its own."""

from __future__ import annotations

import asyncio
import gc
import platform
import sys
import tracemalloc
import weakref
from collections.abc import Callable

import pytest

from shared.heap import (
    LOOP_FREE_LIST_DEPTH,
    MALLOC_TRIM,
    HeapTrimmer,
    fill_loop_free_lists,
)
from shared.logging import correlation_scope, current_correlation_id


class Cycle:
    """An object that only the collector can free."""

    def __init__(self) -> None:
        self.me = self


async def test_a_burst_of_asks_is_one_collection_and_one_trim_after_the_delay() -> None:
    trimmed: list[int] = []

    def trim(pad: int) -> int:
        trimmed.append(pad)
        return 1

    heap = HeapTrimmer(delay=0.05, trim=trim)
    for _ in range(10):
        heap.soon()
    assert trimmed == []

    await asyncio.sleep(0.15)

    assert trimmed == [0] and heap.passes == 1


async def test_an_ask_after_a_pass_schedules_the_next_one() -> None:
    heap = HeapTrimmer(delay=0.02, trim=lambda _: 0)
    heap.soon()
    await asyncio.sleep(0.08)
    heap.soon()
    await asyncio.sleep(0.08)

    assert heap.passes == 2


async def test_the_pass_frees_cyclic_garbage_the_collector_left() -> None:
    gc.disable()
    try:
        garbage = Cycle()
        gone = weakref.ref(garbage)
        del garbage
        heap = HeapTrimmer(delay=0.01, trim=None)  # no malloc_trim: still collects
        heap.soon()
        await asyncio.sleep(0.05)
    finally:
        gc.enable()

    assert gone() is None and heap.passes == 1


async def test_the_pass_runs_outside_the_context_of_the_request_that_asked() -> None:
    seen: list[str | None] = []

    def trim(_: int) -> int:
        seen.append(current_correlation_id())
        return 0

    heap = HeapTrimmer(delay=0.01, trim=trim)
    with correlation_scope("a-request"):
        heap.soon()
    await asyncio.sleep(0.05)

    assert seen == [None]


async def test_the_pass_lets_go_of_names_the_type_cache_kept() -> None:
    class Thing:
        pass

    name = "".join(["not_an_attribute_", str(id(Thing))])  # made at run time, not interned
    unheld = sys.getrefcount(name)
    getattr(Thing, name, None)
    assert sys.getrefcount(name) > unheld  # the lookup cache keeps it

    heap = HeapTrimmer(delay=0.01, trim=None)
    heap.soon()
    await asyncio.sleep(0.05)

    assert sys.getrefcount(name) == unheld


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_s_malloc_trim_is_found_where_glibc_runs() -> None:
    assert MALLOC_TRIM is not None
    assert MALLOC_TRIM(0) in (0, 1)


# --- the event loop's free lists -----------------------------------------------------------

HELD = 200


def _bytes_allocated_making(make: Callable[[], object], held: list[object]) -> float:
    """Bytes allocated per object while ``make`` makes ``HELD`` more into ``held``."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(HELD):
            held.append(make())
        return (tracemalloc.get_traced_memory()[0] - before) / HELD
    finally:
        tracemalloc.stop()


async def _saved_by_filling(make: Callable[[], object]) -> float:
    """Bytes per object that filling the free lists saves: made while they are empty, then
    after filling them. Everything made is held, so only the filling can give them objects
    (a handle goes to its list once the loop has let it go)."""
    held = [make() for _ in range(2 * LOOP_FREE_LIST_DEPTH)]  # takes what the lists held
    held.extend([None] * 2 * HELD)  # room made now: appending then allocates nothing
    del held[2 * LOOP_FREE_LIST_DEPTH :]
    empty = _bytes_allocated_making(make, held)
    fill_loop_free_lists(asyncio.get_running_loop())
    await asyncio.sleep(0.01)
    filled = _bytes_allocated_making(make, held)
    return empty - filled


async def test_filled_free_lists_give_future_iterators_without_allocating() -> None:
    loop = asyncio.get_running_loop()
    waiting = iter([loop.create_future() for _ in range(4 * LOOP_FREE_LIST_DEPTH)])

    saved = await _saved_by_filling(lambda: next(waiting).__await__())

    assert saved >= 32  # the iterator itself: a 48-byte object


def test_filled_free_lists_give_uvloop_handles_without_allocating() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def measure() -> tuple[float, float]:
        loop = asyncio.get_running_loop()

        def cancelled_timer() -> object:
            handle = loop.call_later(3600, _nothing)
            handle.cancel()
            return handle

        return (
            await _saved_by_filling(cancelled_timer),
            await _saved_by_filling(lambda: loop.call_soon(_nothing)),
        )

    timers, callbacks = uvloop.run(measure())

    # The handles themselves; a timer's libuv handle is allocated anew either way.
    assert timers >= 64 and callbacks >= 64


def _nothing() -> None:
    pass
