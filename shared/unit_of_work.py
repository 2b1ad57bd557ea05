"""Optimistic concurrency, retried in one place.

Every save is conditional on the version the aggregate was loaded at; when another writer
saved in between, ``ConcurrentModification`` says so and nothing was written. A unit of work
that loads, changes and saves can then simply run again on the fresh state. The command bus
does so for commands that did not pin a version with ``If-Match``; the services' background
work (counter flags, expiries) does so as well.

``change`` is the unit of work of most commands: load one aggregate, check the version the
caller pinned, change it, and save it if it changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from shared.domain import Aggregate, ExpectedVersion
from shared.errors import ConcurrentModification
from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

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


class Store(Protocol[A]):
    """Where aggregates of one kind are loaded from and saved to (a ``Repository``)."""

    async def get(self, aggregate_id: str, /) -> A: ...

    async def save(self, aggregate: A, /) -> None: ...


async def load_for_change(
    store: Store[A], aggregate_id: str, expected_version: ExpectedVersion
) -> A:
    """The aggregate, refused (412) unless at the version ``If-Match`` named, if it named one."""
    aggregate = await store.get(aggregate_id)
    aggregate.ensure_version(expected_version)
    return aggregate


async def change(
    store: Store[A],
    aggregate_id: str,
    expected_version: ExpectedVersion,
    act: Callable[[A], object],
) -> A:
    """Load the aggregate (see ``load_for_change``), ``act`` on it and save it if it changed.

    Every change moves the version, so a version still as loaded means nothing to store (an
    update that changed no field, a date set to what it was).
    """
    aggregate = await load_for_change(store, aggregate_id, expected_version)
    act(aggregate)
    if aggregate.version != aggregate.loaded_version:
        await store.save(aggregate)
    return aggregate
