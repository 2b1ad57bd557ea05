"""The notify service with no broker at all, for what needs only its HTTP and its store.

Its runtime runs on FastStream's test broker (``tests.support.inprocess``); its own aio-pika
connection is a stand-in whose channels accept every declaration, binding and publish and
deliver nothing: subscriptions can be created, read, changed and deleted, while the event
log stays empty and no webhook goes out. Deliveries, the stream and the live feed are for the
suites on the real broker (``tests.support.notify.running_notify``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from unittest.mock import AsyncMock, MagicMock

from services.notify.bootstrap import build_app
from services.notify.broker import NotifyBroker
from shared.egress import EgressPolicy
from shared.storage import Storage
from tests.support.inprocess import run_in_process
from tests.support.servers import RunningService
from tests.support.webhooks import notify_settings


class StandInConnection(NotifyBroker):
    """Notify's connection with nothing behind it: every AMQP call succeeds and does nothing."""

    def __init__(self) -> None:
        super().__init__(
            "amqp://guest:guest@127.0.0.1:1/", stream_arguments={}, delivery_limit=5, delays=()
        )

    async def connect(self) -> None:
        connection = MagicMock(name="connection")
        connection.channel = AsyncMock(side_effect=lambda **_: _channel())
        connection.close = AsyncMock()
        self._connection = connection
        self._channel = _channel()

    async def depth(self, queue_name: str) -> int:
        return 0


def _channel() -> AsyncMock:
    """A channel whose queues and exchanges are mocks too (``await`` on each call works)."""
    channel = AsyncMock(name="channel")
    queue = AsyncMock(name="queue")
    channel.declare_queue.return_value = queue
    channel.get_queue.return_value = queue
    channel.get_exchange.return_value = AsyncMock(name="exchange")
    return channel


@asynccontextmanager
async def notify_in_process(
    storage: Storage, *, egress: EgressPolicy | None = None, **overrides: Any
) -> AsyncIterator[RunningService]:
    """The notify service in process with no broker (``notify_settings`` plus ``overrides``)."""
    app = partial(build_app, egress=egress, connection=StandInConnection())
    async with run_in_process(app, notify_settings(**overrides), storage) as service:
        yield service
