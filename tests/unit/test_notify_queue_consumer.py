"""A subscription's consumer hands messages to its pumps in arrival order, settles successes
beside them, and lets a failure count only after the successes before it."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from services.notify.delivery import ATTEMPT
from services.notify.domain import Subscription
from services.notify.workers import QueueConsumer


class _Message:
    def __init__(self, name: str, attempt: int = 0) -> None:
        self.name = name
        self.headers = {ATTEMPT: attempt} if attempt else {}


def _consumer() -> QueueConsumer:
    subscription = Subscription.create(
        url="https://hooks.example.go.id/mpp", event_types=["#"], description="test"
    )
    return QueueConsumer(subscription, cast(AbstractChannel, object()), "", 16)


def _message(name: str, attempt: int = 0) -> AbstractIncomingMessage:
    return cast(AbstractIncomingMessage, _Message(name, attempt))


async def test_messages_come_out_in_the_order_they_arrived_even_to_a_waiting_pump() -> None:
    consumer = _consumer()
    waiting = asyncio.ensure_future(consumer.next())
    await asyncio.sleep(0)

    for name in ("a", "b", "c"):
        assert consumer.take(_message(name))

    taken = [await waiting, await consumer.next(), await consumer.next()]
    assert [cast(Any, m).name for m in taken] == ["a", "b", "c"]


async def test_a_stopped_consumer_ends_its_idle_pumps_and_gives_back_what_waits() -> None:
    consumer = _consumer()
    pumped: list[str] = []

    async def pump(c: QueueConsumer) -> None:
        while (message := await c.next()) is not None:
            pumped.append(cast(Any, message).name)

    consumer.start_pumps(pump)
    consumer.take(_message("first"))
    await asyncio.sleep(0.01)
    pumps = set(consumer.tasks)
    consumer.waiting.extend([_message("retry", attempt=2), _message("fresh")])

    assert consumer.stop() == 1  # one retry was waiting: it goes back with the channel
    await asyncio.wait_for(asyncio.gather(*pumps), 1)
    assert pumped == ["first"]
    assert not consumer.take(_message("late"))
    assert not consumer.waiting


async def test_settled_waits_for_every_success_handed_over_before_it() -> None:
    consumer = _consumer()
    order: list[str] = []
    release = asyncio.Event()

    async def success(name: str) -> None:
        await release.wait()
        order.append(name)

    consumer.later(success("one"))
    consumer.later(success("two"))
    failure = asyncio.ensure_future(consumer.settled())
    await asyncio.sleep(0.01)
    assert not failure.done()

    release.set()
    await asyncio.wait_for(failure, 1)
    order.append("failure")
    assert order == ["one", "two", "failure"]


async def test_a_settlement_that_fails_is_logged_and_does_not_stop_the_others() -> None:
    consumer = _consumer()
    done: list[str] = []

    async def broken() -> None:
        raise ConnectionError("channel closed")

    async def fine() -> None:
        done.append("fine")

    consumer.later(broken())
    consumer.later(fine())
    await asyncio.wait_for(consumer.settled(), 1)

    assert done == ["fine"]
    assert not consumer.tasks
