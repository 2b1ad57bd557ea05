"""Publishing events onto ``mpp.events``: persistent, confirmed, routed by type."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlsplit

from faststream.rabbit import RabbitBroker

from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.metrics import EVENTS_PUBLISHED
from shared.tracing import continued_trace


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
        """Publish one event; raises if the broker did not confirm it in time."""
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
        EVENTS_PUBLISHED.labels(service=self._service, type=event.type).inc()


def amqp_user(url: str) -> str:
    """The user an AMQP URL connects as (``guest`` when it names none, as RabbitMQ assumes)."""
    return unquote(urlsplit(url).username or "guest")
