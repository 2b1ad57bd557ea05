"""Publishing events onto ``mpp.events``: persistent, confirmed, routed by type."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import unquote, urlsplit

from aio_pika.abc import AbstractChannel, AbstractRobustChannel
from aio_pika.exceptions import DeliveryError
from faststream.rabbit import RabbitBroker

from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.logging import get_logger
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.metrics import EVENTS_PUBLISHED
from shared.tracing import continued_trace

log = get_logger(__name__)

RENEW_TIMEOUT_SECONDS = 5.0
"""How long renewing a channel may wait for the connection and for the new channel."""


class EventPublisher:
    """Puts CloudEvents on ``mpp.events`` and returns only once the broker confirmed them.

    Args:
        broker: a connected FastStream broker (its channels use publisher confirms).
        service: the publishing service, for metrics.
        timeout: seconds to wait for the broker's confirm before giving up.
        user_id: the broker user it is connected as (``amqp_user(RABBITMQ_URL)``). Every
            message carries it as AMQP ``user_id``, which RabbitMQ verifies against the
            connection, so consumers know for certain who published an event.
    """

    def __init__(
        self,
        broker: RabbitBroker,
        service: str,
        timeout: float = 5.0,
        *,
        user_id: str | None = None,
    ) -> None:
        self._broker = broker
        self._service = service
        self._timeout = timeout
        self._user_id = user_id

    async def publish(self, event: CloudEvent) -> None:
        """Publish one event; raises if the broker did not confirm it in time.

        After a negative confirm the publishing channel is renewed (see
        :func:`renew_after_nack`), so the caller's retry goes through a fresh channel.
        """
        try:
            await self._publish(event)
        except DeliveryError:
            with contextlib.suppress(Exception):  # no connection: nothing to renew now
                channel = await self._broker.config.channel_manager.get_channel()
                await renew_after_nack(channel, publisher=self._service)
            raise
        EVENTS_PUBLISHED.labels(service=self._service, type=event.type).inc()

    async def _publish(self, event: CloudEvent) -> None:
        async with asyncio.timeout(self._timeout):
            with continued_trace(event):  # the publish span joins the request's trace
                await self._broker.publish(
                    event.to_json_bytes(),
                    exchange=EVENTS_EXCHANGE,
                    routing_key=event.type,
                    persist=True,
                    mandatory=False,
                    message_id=event.id,
                    correlation_id=event.correlationid,
                    content_type=CONTENT_TYPE,
                    timestamp=event.time,
                    message_type=event.type,
                    user_id=self._user_id,
                    timeout=self._timeout,
                )


async def renew_after_nack(channel: AbstractChannel, *, publisher: str) -> None:
    """Replace the broker's side of a robust ``channel`` that had a publish nacked.

    RabbitMQ (seen with 3.10) nacks every publish a channel makes to a quorum queue for the
    rest of the channel's life once the first one found the queue without a leader, which is
    what happens when the node leading it dies and the publisher has already failed over: the
    queue elects a leader within seconds and a new channel publishes at once, but retrying on
    the old one never succeeds. Closing the underlying AMQP channel makes aio-pika's robust
    channel open a new one in its place, with its queues and consumers (whose unacked
    messages come again: delivery is at least once); this returns once it is open.
    """
    reopened = asyncio.Event()

    def on_reopen(*_: object) -> None:
        reopened.set()

    robust = channel if isinstance(channel, AbstractRobustChannel) else None
    if robust is not None:
        robust.reopen_callbacks.add(on_reopen)
    try:
        with contextlib.suppress(Exception):  # a channel already closing is renewed anyway
            async with asyncio.timeout(RENEW_TIMEOUT_SECONDS):
                underlay = await channel.get_underlay_channel()
                await underlay.close()
                if robust is not None:  # publishing before the replacement is open would fail
                    await reopened.wait()
    finally:
        if robust is not None:
            robust.reopen_callbacks.discard(on_reopen)
    log.warning("broker.publish_channel_renewed", publisher=publisher, reason="negative confirm")


def amqp_user(url: str) -> str:
    """The user an AMQP URL connects as (``guest`` when it names none, as RabbitMQ assumes)."""
    return unquote(urlsplit(url).username or "guest")
