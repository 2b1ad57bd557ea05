"""A channel notify opens is opened whatever happens to the caller meanwhile, broker-free.

aiormq breaks the whole connection when a ``Channel.Open`` is cancelled mid-flight; see
tests/integration/test_notify_depth_queries.py for the same on the real broker.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from aio_pika.abc import AbstractRobustConnection

from services.notify.broker import NotifyBroker


class SlowChannel:
    def __init__(self) -> None:
        self.closed = False
        self.prefetch: int | None = None

    async def set_qos(self, prefetch_count: int) -> None:
        self.prefetch = prefetch_count

    async def close(self) -> None:
        self.closed = True


class SlowConnection:
    """Opens a channel only once ``opened`` is set; records whether an opening was cut short."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.channels: list[SlowChannel] = []
        self.interrupted = False

    async def channel(self, **_: Any) -> SlowChannel:
        try:
            await self.opened.wait()
        except asyncio.CancelledError:
            self.interrupted = True
            raise
        self.channels.append(SlowChannel())
        return self.channels[-1]


def _broker(connection: SlowConnection) -> NotifyBroker:
    broker = NotifyBroker(
        "amqp://notify:secret@localhost:5672/", stream_arguments={}, delivery_limit=5, delays=[]
    )
    broker._connection = cast(AbstractRobustConnection, connection)
    return broker


async def test_a_caller_cancelled_mid_opening_leaves_the_opening_to_finish_and_closes_the_channel() -> (
    None
):
    connection = SlowConnection()
    caller = asyncio.create_task(_broker(connection).new_channel(prefetch=10))
    await asyncio.sleep(0.01)

    caller.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await caller
    connection.opened.set()
    for _ in range(5):
        await asyncio.sleep(0)

    assert caller.cancelled()
    assert not connection.interrupted
    assert [channel.closed for channel in connection.channels] == [True]


async def test_a_caller_that_waits_gets_its_channel_open_with_its_prefetch() -> None:
    connection = SlowConnection()
    connection.opened.set()

    channel = await _broker(connection).new_channel(prefetch=10)

    assert cast(Any, channel).prefetch == 10
    assert not cast(Any, channel).closed
