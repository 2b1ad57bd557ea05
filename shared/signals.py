"""Waiting on an ``asyncio.Event`` with a timeout, without losing a cancellation.

On Python 3.11, ``asyncio.wait_for(event.wait(), timeout)`` swallows a ``cancel()`` that
arrives in the same turn as the event is set (python/cpython#86296, fixed in 3.12): the
background loop that called it carries on and whoever awaits its cancellation waits for
ever. ``asyncio.timeout`` does not have that race, so every background loop waits here.
"""

from __future__ import annotations

import asyncio


async def wait_for_signal(signal: asyncio.Event, seconds: float) -> bool:
    """Wait until ``signal`` is set or ``seconds`` pass; True if it was set.

    Args:
        signal: the event that wakes the caller early.
        seconds: the longest wait.
    """
    try:
        async with asyncio.timeout(seconds):
            await signal.wait()
    except TimeoutError:
        return False
    return True
