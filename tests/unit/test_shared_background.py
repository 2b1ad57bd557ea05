"""Background loops wait on a signal and are stopped without losing a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from shared.background import cancel_and_wait, wait_for_signal


async def _loop_until_cancelled(signal: asyncio.Event) -> None:
    """The shape of the relay's and the dispatcher's loops: clear, work, wait."""
    while True:
        signal.clear()
        await wait_for_signal(signal, 10)


async def test_it_says_whether_the_signal_came_or_the_time_ran_out() -> None:
    signal = asyncio.Event()
    assert await wait_for_signal(signal, 0.01) is False
    signal.set()
    assert await wait_for_signal(signal, 10) is True


@pytest.mark.parametrize("turns_between", [0, 1, 2, 3])
async def test_a_cancellation_that_arrives_as_the_signal_is_set_still_stops_the_loop(
    turns_between: int,
) -> None:
    # asyncio.wait_for on Python 3.11 drops this cancellation (cpython#86296) and the
    # loop runs on: a service's shutdown then waited for ever.
    signal = asyncio.Event()
    loop = asyncio.create_task(_loop_until_cancelled(signal))
    await asyncio.sleep(0.01)
    signal.set()
    for _ in range(turns_between):
        await asyncio.sleep(0)
    loop.cancel()
    done, _ = await asyncio.wait({loop}, timeout=1)
    assert loop in done and loop.cancelled()


async def test_stopping_tasks_waits_until_each_has_finished_its_cleanup() -> None:
    cleaned: list[int] = []

    async def loop(number: int) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.01)  # cleanup that itself awaits
            cleaned.append(number)

    tasks = [asyncio.create_task(loop(n)) for n in range(3)]
    await asyncio.sleep(0)
    await cancel_and_wait(*tasks)
    assert sorted(cleaned) == [0, 1, 2]
    assert all(task.cancelled() for task in tasks)
