"""Notify's confirmed sends renew their channel after a negative confirm, broker-free.

RabbitMQ keeps nacking a channel's publishes to a quorum queue (a subscription's queue, a
delay tier) once one found it without a leader; see tests/unit/test_shared_publisher.py.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from aio_pika.abc import AbstractChannel
from aio_pika.exceptions import DeliveryError
from pamqp.commands import Basic

from services.notify.broker import NotifyBroker


class FakeUnderlay:
    def __init__(self) -> None:
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


class FakeChannel:
    """A confirmed channel whose publishes get ``answers`` in turn (None: confirmed)."""

    is_closed = False

    def __init__(self, *answers: BaseException | None) -> None:
        self.answers = list(answers)
        self.underlay = FakeUnderlay()
        self.routed: list[tuple[str, str]] = []

    async def get_underlay_channel(self) -> FakeUnderlay:
        return self.underlay

    async def get_exchange(self, name: str, ensure: bool = True) -> Any:
        channel = self

        class Exchange:
            async def publish(self, message: Any, routing_key: str) -> None:
                channel.routed.append((name, routing_key))
                answer = channel.answers.pop(0)
                if answer is not None:
                    raise answer

        return Exchange()


def _broker(channel: FakeChannel) -> NotifyBroker:
    broker = NotifyBroker(
        "amqp://notify:secret@localhost:5672/", stream_arguments={}, delivery_limit=5, delays=[1]
    )
    broker._channel = cast(AbstractChannel, channel)
    return broker


@pytest.mark.parametrize("delay_ms", [None, 1000])
async def test_a_nacked_send_raises_and_renews_the_channel(delay_ms: int | None) -> None:
    channel = FakeChannel(DeliveryError(None, Basic.Nack(delivery_tag=1)), None)
    broker = _broker(channel)

    with pytest.raises(DeliveryError):
        await broker.send("sub_1", b"{}", {}, delay_ms=delay_ms)
    assert channel.underlay.closed == 1

    await broker.send("sub_1", b"{}", {}, delay_ms=delay_ms)
    assert channel.underlay.closed == 1
    key = "now.sub_1" if delay_ms is None else "1000.sub_1"
    assert [routing_key for _, routing_key in channel.routed] == [key, key]
