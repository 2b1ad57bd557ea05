"""The heap trimmer: one collection and trim after a burst of asks, in a context of its own."""

from __future__ import annotations

import asyncio
import gc
import platform
import weakref

import pytest

from shared.heap import MALLOC_TRIM, HeapTrimmer
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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_s_malloc_trim_is_found_where_glibc_runs() -> None:
    assert MALLOC_TRIM is not None
    assert MALLOC_TRIM(0) in (0, 1)
