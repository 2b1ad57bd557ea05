"""The one way tests wait: poll until a condition holds, or wait on what a recorder has seen.

Tests never sleep and then assert: they name the state they expect (``eventually``), and an
absence is asserted on stored state once a later marker proves the system got past the point.

    answer = await eventually(lambda: service.client.get("/readyz"), until=lambda r: r.is_success)
    hooks = await receiver.arrivals.wait_for(lambda h: h.accepted, count=3)
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

EVERY = 0.05
"""How often a condition is looked at again: quick, yet leaves the services the CPU."""


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], object] = ...,
    timeout: float = ...,
    every: float = ...,
    what: str = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    until: Callable[[T], object] = ...,
    timeout: float = ...,
    every: float = ...,
    what: str = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    until: Callable[[Any], object] = bool,
    timeout: float = 10.0,
    every: float = EVERY,
    what: str = "",
) -> Any:
    """Call ``check`` (sync or async) until ``until`` holds for its result; return that result.

    Fails with an ``AssertionError`` naming ``what`` and the last result after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met in {timeout} s; last: {result!r}")
        await asyncio.sleep(every)


def eventually_blocking(
    check: Callable[[], T],
    *,
    until: Callable[[T], object] = bool,
    timeout: float = 10.0,
    every: float = 0.2,
    what: str = "",
) -> T:
    """``eventually`` for code without an event loop (subprocesses, ``rabbitmqctl``)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met in {timeout} s; last: {result!r}")
        time.sleep(every)


class Arrivals(Generic[T]):
    """What a test double has received, in order, and a way to wait for some of it.

    The broker tap, the webhook receiver and the SSE reader all record through one of these.
    """

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = asyncio.Condition()

    async def add(self, item: T | None = None) -> None:
        """Record ``item`` (None only wakes the waiters: something else changed)."""
        async with self._changed:
            if item is not None:
                self.items.append(item)
            self._changed.notify_all()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition`` holds, looking again after every arrival."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(condition)

    async def wait_for(
        self, predicate: Callable[[T], Any] | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[T]:
        """Wait until ``count`` arrivals match ``predicate``; returns all that match so far."""
        match = predicate or (lambda _: True)

        def matching() -> list[T]:
            return [item for item in self.items if match(item)]

        await self.wait_until(lambda: len(matching()) >= count, timeout)
        return matching()


class Recording(Generic[T]):
    """What a recording test double (webhook receiver, SSE reader) offers to wait with."""

    _arrivals: Arrivals[T]

    async def wait_for(
        self, predicate: Callable[[T], Any] | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[T]:
        """Wait until ``count`` arrivals match ``predicate``; returns all that match so far."""
        return await self._arrivals.wait_for(predicate, count, timeout)
