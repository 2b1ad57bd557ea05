"""Waiting and stopping in background loops without losing a cancellation.

On Python 3.11, ``asyncio.wait_for(event.wait(), timeout)`` swallows a ``cancel()`` that
arrives in the same turn as the event is set (python/cpython#86296, fixed in 3.12): the
background loop that called it carries on and whoever awaits its cancellation waits for
ever. ``asyncio.timeout`` does not have that race, so every background loop waits here, and
every owner of one stops it here.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


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


async def cancel_and_wait(*tasks: asyncio.Task[Any]) -> None:
    """Cancel ``tasks`` and return once each has ended, so none runs on after a stop.

    Args:
        tasks: the background tasks to stop; their own cancellation is not re-raised.
    """
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
