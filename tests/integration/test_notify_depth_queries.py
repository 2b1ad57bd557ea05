"""Depth queries (the gauges, a subscription's backlog) never take notify's connection down.

aiormq answers a ``Channel.Open`` cancelled mid-flight by breaking the whole connection; a
shutdown or a client hanging up mid-request cancelled the query at any point, and once the
gauges' stop hung a notify shutdown for 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import aio_pika
import pytest

from services.notify.bootstrap import _notify_broker
from services.notify.broker import NotifyBroker
from tests.support.webhooks import notify_settings

pytestmark = pytest.mark.broker

QUEUE = "depth-probe"


@pytest.fixture
async def notify_broker(rabbitmq: str) -> AsyncIterator[NotifyBroker]:
    broker = _notify_broker(notify_settings())
    await broker.connect()
    queue = await broker.channel.declare_queue(QUEUE, auto_delete=True)
    for _ in range(3):
        await broker.channel.default_exchange.publish(aio_pika.Message(b"x"), routing_key=QUEUE)
    yield broker
    await queue.delete(if_unused=False, if_empty=False)
    await broker.close()


async def test_depth_counts_ready_messages_and_a_missing_queue_as_none(
    notify_broker: NotifyBroker,
) -> None:
    assert await notify_broker.depth(QUEUE) == 3
    assert await notify_broker.depth("no-such-queue") == 0
    assert await notify_broker.depth(QUEUE) == 3  # the channel the missing queue closed reopens


async def test_depth_queries_cancelled_at_any_moment_leave_the_connection_up(
    notify_broker: NotifyBroker,
) -> None:
    reconnected: list[object] = []
    notify_broker.connection.reconnect_callbacks.add(lambda *args: reconnected.append(args))
    rng = random.Random(7)
    for _ in range(200):
        query = asyncio.create_task(notify_broker.depth(rng.choice([QUEUE, "no-such-queue"])))
        await asyncio.sleep(rng.uniform(0, 0.004))
        query.cancel()
        async with asyncio.timeout(5):
            with contextlib.suppress(asyncio.CancelledError):
                await query

    await asyncio.sleep(0.2)  # a broken connection is reported (and reconnects) within this
    assert reconnected == []
    assert not notify_broker.connection.is_closed
    assert await notify_broker.depth(QUEUE) == 3
