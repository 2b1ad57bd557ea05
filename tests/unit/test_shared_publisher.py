"""A negative confirm renews the publishing channel (shared.messaging.publisher), broker-free.

RabbitMQ keeps nacking a channel's publishes to a quorum queue once its first one found the
queue without a leader; the real-cluster case is in tests/faults/test_cluster_failover.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustChannel
from aio_pika.exceptions import DeliveryError
from faststream.rabbit import RabbitBroker
from pamqp.commands import Basic

from shared.messaging.publisher import EventPublisher, renew_after_nack
from tests.support.catalogue_events import agency_registered


class FakeUnderlay:
    def __init__(self, on_close: Callable[[], None] = lambda: None) -> None:
        self.closed = 0
        self.on_close = on_close

    async def close(self) -> None:
        self.closed += 1
        self.on_close()


class FakeChannel:
    is_closed = False

    def __init__(self) -> None:
        self.underlay = FakeUnderlay()

    async def get_underlay_channel(self) -> FakeUnderlay:
        return self.underlay


class FakeBroker:
    """Answers publishes with ``answers`` in turn (an exception is raised), like RabbitBroker."""

    def __init__(self, *answers: BaseException | None) -> None:
        self.answers = list(answers)
        self.channel = FakeChannel()
        self.config = SimpleNamespace(channel_manager=self)

    async def get_channel(self) -> FakeChannel:
        return self.channel

    async def publish(self, *_: Any, **__: Any) -> None:
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer


def _publisher(broker: FakeBroker) -> EventPublisher:
    return EventPublisher(cast(RabbitBroker, broker), service="agency")


async def test_a_nacked_publish_raises_and_renews_the_channel_for_the_retry() -> None:
    broker = FakeBroker(DeliveryError(None, Basic.Nack(delivery_tag=1)), None)
    publisher = _publisher(broker)

    with pytest.raises(DeliveryError):
        await publisher.publish(agency_registered())
    assert broker.channel.underlay.closed == 1

    await publisher.publish(agency_registered())  # the outbox's retry
    assert broker.channel.underlay.closed == 1


async def test_a_confirmed_publish_or_a_timeout_keeps_the_channel() -> None:
    broker = FakeBroker(None, TimeoutError())
    publisher = _publisher(broker)

    await publisher.publish(agency_registered())
    with pytest.raises(TimeoutError):
        await publisher.publish(agency_registered())
    assert broker.channel.underlay.closed == 0


async def test_a_channel_that_cannot_be_renewed_still_reports_the_nack() -> None:
    broker = FakeBroker(DeliveryError(None, Basic.Nack(delivery_tag=1)))

    async def no_connection() -> FakeChannel:
        raise RuntimeError("not connected")

    broker.get_channel = no_connection  # type: ignore[method-assign]
    with pytest.raises(DeliveryError):
        await _publisher(broker).publish(agency_registered())


class FakeRobustChannel:
    """Reopens itself a little after its underlying channel is closed, like aio-pika's."""

    def __init__(self) -> None:
        self.reopen_callbacks: set[Callable[..., None]] = set()
        self.underlay = FakeUnderlay(on_close=self._closed)
        self.reopened = False

    async def get_underlay_channel(self) -> FakeUnderlay:
        return self.underlay

    def _closed(self) -> None:
        asyncio.get_running_loop().call_later(0.05, self._reopen)

    def _reopen(self) -> None:
        self.reopened = True
        for callback in list(self.reopen_callbacks):
            callback(self)


AbstractRobustChannel.register(FakeRobustChannel)


async def test_renewing_returns_once_the_robust_channel_is_open_again() -> None:
    channel = FakeRobustChannel()

    await renew_after_nack(cast(AbstractChannel, channel), publisher="agency")

    assert channel.underlay.closed == 1
    assert channel.reopened
    assert not channel.reopen_callbacks
