"""Workers a service runs beside its HTTP routes, started in order and stopped in reverse.

A worker is anything with ``start()`` and ``stop()``: the broker connection, the outbox relay,
the consumers, a periodic task, notify's connection, live feed and subscription workers.
One that also has ``healthy()`` is named in ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from shared.background import cancel_and_wait
from shared.logging import correlation_scope, get_logger

log = get_logger(__name__)


class Worker(Protocol):
    """Something a service runs while it is up."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@runtime_checkable
class ReportsHealth(Protocol):
    """A worker that can tell whether it still works (a dropped connection, a dead task)."""

    def healthy(self) -> bool: ...


@dataclass
class PeriodicTask:
    """Work a service does on a schedule (e.g. expiring MoUs), safe to run on every replica.

    Args:
        name: for logs.
        interval_seconds: pause between runs.
        run: the work; an exception is logged and the task runs again next interval.
    """

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[Any]]


class PeriodicWorker:
    """Runs a ``PeriodicTask`` at once and then every interval until stopped."""

    def __init__(self, task: PeriodicTask) -> None:
        self.task = task
        self._running: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._running = asyncio.create_task(self._every(), name=self.task.name)

    async def stop(self) -> None:
        if self._running is not None:
            await cancel_and_wait(self._running)
            self._running = None

    def healthy(self) -> bool:
        return self._running is not None and not self._running.done()

    async def _every(self) -> None:
        while True:
            with correlation_scope(None):
                try:
                    await self.task.run()
                except Exception:
                    log.exception("periodic.failed", task=self.task.name)
            await asyncio.sleep(self.task.interval_seconds)


@dataclass
class Registered:
    """A worker under its name, with how long its stop may take (None: as long as it needs)."""

    name: str
    worker: Worker
    stop_within: float | None = None


class Lifecycle:
    """Starts workers in registration order and stops the started ones in reverse."""

    def __init__(self) -> None:
        self.workers: list[Registered] = []
        self._started: list[Registered] = []

    def add(self, name: str, worker: Worker, *, stop_within: float | None = None) -> None:
        self.workers.append(Registered(name, worker, stop_within))

    async def start(self) -> None:
        """Start each worker; if one fails, stop those already started and raise."""
        for registered in self.workers:
            try:
                await registered.worker.start()
            except BaseException:
                await self.stop()
                raise
            self._started.append(registered)

    async def stop(self) -> None:
        """Stop the started workers, last first; a failing or slow stop is logged, not raised."""
        while self._started:
            registered = self._started.pop()
            await _stop(registered)

    def health(self) -> dict[str, bool]:
        """Each started worker that reports its health, by name."""
        return {
            r.name: r.worker.healthy() for r in self._started if isinstance(r.worker, ReportsHealth)
        }


SLOW_STOP_SECONDS = 1.0
"""A stop that takes longer is logged with its worker's name: a slow shutdown names its cause."""


async def _stop(registered: Registered) -> None:
    began = time.monotonic()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if registered.stop_within is not None:
                await stack.enter_async_context(asyncio.timeout(registered.stop_within))
            await registered.worker.stop()
    except Exception:
        log.warning("worker.stop_failed", worker=registered.name, exc_info=True)
    finally:
        seconds = time.monotonic() - began
        if seconds > SLOW_STOP_SECONDS:
            log.warning("worker.stop_slow", worker=registered.name, seconds=round(seconds, 2))
