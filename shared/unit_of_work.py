"""Optimistic concurrency, retried in one place.

Every save is conditional on the version the aggregate was loaded at; when another writer
saved in between, ``ConcurrentModification`` says so and nothing was written. A unit of work
that loads, changes and saves can then simply run again on the fresh state. The command bus
does so for commands that did not pin a version with ``If-Match``; the services' background
work (counter flags, expiries) does so as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.errors import ConcurrentModification
from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

DEFAULT_ATTEMPTS = 3


async def retry_on_conflict(
    unit_of_work: Callable[[], Awaitable[T]],
    *,
    name: str,
    attempts: int = DEFAULT_ATTEMPTS,
) -> T:
    """Run ``unit_of_work`` until it saves without a concurrent modification.

    Args:
        unit_of_work: loads what it changes (each run must read afresh), changes and saves it.
        name: what it is, for the log line of each retry.
        attempts: runs at most; the last one's ``ConcurrentModification`` is raised.
    """
    for attempt in range(1, attempts):
        try:
            return await unit_of_work()
        except ConcurrentModification:
            log.info("concurrent_modification.retried", unit_of_work=name, attempt=attempt)
    return await unit_of_work()
