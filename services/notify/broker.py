"""Notify's own AMQP connection (aio-pika) and what it does with the topology.

FastStream serves fixed, declared-once subscribers; notify's queues come and go with its
subscriptions and its stream is read from offsets, so this part talks aio-pika directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import DeliveryError

from services.notify import topology
from services.notify.topology import (
    LOG_STREAM,
    NOW_KEY,
    REDELIVER_EXCHANGE,
    subscription_queue_name,
)
from shared.logging import get_logger
from shared.messaging.connection import FailoverConnection, Nodes, broker_urls, connect_first
from shared.messaging.identity import RELAYED_FROM_HEADER
from shared.messaging.publisher import amqp_user, renew_after_nack
from shared.messaging.topology import EVENTS_EXCHANGE_NAME

log = get_logger(__name__)

DEPTH_TIMEOUT_SECONDS = 2.0
CONNECT_DEADLINE_SECONDS = 30.0
"""Notify's own connection comes after the runtime's, which already waited for the broker."""
StreamStart = int | str | datetime
"""Where a stream read starts: an offset, ``first``/``last``/``next``, or a timestamp."""


class NotifyBroker:
    """One robust connection; a channel for declarations and confirmed publishes.

    Args:
        url: the AMQP URL (``RABBITMQ_URL``).
        stream_arguments: ``notify.log``'s declaration arguments (retention).
        delivery_limit: the subscription queues' ``x-delivery-limit``.
        delays: the retry schedule's delays, one tier queue each.
        reconnect_seconds: the pause between reconnection attempts (``BROKER_RECONNECT_SECONDS``,
            as the services' own connection; aio-pika's default is 5 s).
    """

    def __init__(
        self,
        url: str,
        *,
        stream_arguments: dict[str, Any],
        delivery_limit: int,
        delays: Iterable[float],
        reconnect_seconds: float = 5.0,
    ) -> None:
        self._url = url
        self._reconnect_seconds = reconnect_seconds
        self.user_id = amqp_user(broker_urls(url)[0])
        """Notify's broker identity: every copy it publishes carries it (RabbitMQ checks it)."""
        self._stream_arguments = stream_arguments
        self._delivery_limit = delivery_limit
        self._delays = set(delays)
        self.tiers: list[int] = []
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._depth: AbstractRobustChannel | None = None
        self._depth_lock = asyncio.Lock()

    @property
    def connection(self) -> AbstractRobustConnection:
        assert self._connection is not None, "the notify broker is not connected"
        return self._connection

    @property
    def channel(self) -> AbstractChannel:
        assert self._channel is not None, "the notify broker is not connected"
        return self._channel

    async def connect(self) -> None:
        """Connect to the first node of ``RABBITMQ_URL`` that answers (a comma-separated
        cluster), failing over between them on every reconnect like the services' brokers."""
        nodes = Nodes(broker_urls(self._url))
        failover = type("FailoverConnection", (FailoverConnection,), {"nodes": nodes})

        async def attempt(url: str) -> AbstractRobustConnection:
            return await aio_pika.connect_robust(
                url,
                connection_class=failover,
                client_properties={"connection_name": "mpp-notify"},
                reconnect_interval=self._reconnect_seconds,
            )

        self._connection = await connect_first(
            nodes, attempt, deadline_seconds=CONNECT_DEADLINE_SECONDS
        )
        self._channel = await self._connection.channel(publisher_confirms=True)
        await topology.declare_exchanges(self._channel)
        await topology.declare_log_stream(self._channel, self._stream_arguments)
        self.tiers = await topology.declare_tiers(self._channel, self._delays)

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None
        self._channel = None
        self._depth = None

    async def new_channel(self, prefetch: int | None = None) -> AbstractRobustChannel:
        """A channel without confirms, opened whatever happens to its caller meanwhile.

        aiormq answers a ``Channel.Open`` cancelled mid-flight by breaking the whole connection
        (the broker then sees a frame on a channel it never opened), so the opening runs in a
        task a stop or a client hanging up cannot cancel; a caller that is gone by the time it
        opens has its channel closed.
        """
        opening = asyncio.ensure_future(self._open_channel(prefetch))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_unclaimed)
            raise

    async def _open_channel(self, prefetch: int | None) -> AbstractRobustChannel:
        channel = await self.connection.channel(publisher_confirms=False)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    # --- subscription queues ----------------------------------------------------------------

    async def declare_subscription(self, subscription_id: str) -> None:
        queue = await self.channel.declare_queue(
            subscription_queue_name(subscription_id),
            durable=True,
            arguments=topology.subscription_queue_arguments(self._delivery_limit),
        )
        await queue.bind(REDELIVER_EXCHANGE, routing_key=f"*.{subscription_id}")

    async def bind(self, subscription_id: str, patterns: Iterable[str]) -> None:
        queue = await self.channel.get_queue(subscription_queue_name(subscription_id))
        for pattern in patterns:
            await queue.bind(EVENTS_EXCHANGE_NAME, routing_key=pattern)

    async def unbind(self, subscription_id: str, patterns: Iterable[str]) -> None:
        queue = await self.channel.get_queue(subscription_queue_name(subscription_id))
        for pattern in patterns:
            await queue.unbind(EVENTS_EXCHANGE_NAME, routing_key=pattern)

    async def purge(self, subscription_id: str) -> None:
        queue = await self.channel.get_queue(subscription_queue_name(subscription_id))
        await queue.purge()

    async def delete_subscription(self, subscription_id: str) -> None:
        await self.channel.queue_delete(subscription_queue_name(subscription_id))

    async def depth(self, queue_name: str) -> int:
        """Messages ready in a queue (0 for one that does not exist, or no connection).

        Runs in a task its caller's cancellation does not reach, as ``new_channel`` opens: a
        cancelled ``Queue.Declare`` closes the channel, whose robust reopening raced the next
        query's into a broken connection (seen in tests).
        """
        return await asyncio.shield(asyncio.ensure_future(self._depth_of(queue_name)))

    async def _depth_of(self, queue_name: str) -> int:
        try:
            channel = await self._depth_channel()
            async with asyncio.timeout(DEPTH_TIMEOUT_SECONDS):
                # not robust: a robust channel answers a passive declare from its own memory
                declared = await channel.declare_queue(queue_name, passive=True, robust=False)
            return int(declared.declaration_result.message_count or 0)
        except Exception:
            return 0

    async def _depth_channel(self) -> AbstractRobustChannel:
        """One channel for depth queries, opened again after a passive declare of a missing
        queue closed it (the broker's answer to one)."""
        async with self._depth_lock:
            if self._depth is None or self._depth.is_closed:
                self._depth = await self.new_channel()
            return self._depth

    # --- publishing -------------------------------------------------------------------------

    async def send(
        self,
        subscription_id: str,
        body: bytes,
        headers: dict[str, Any],
        *,
        delay_ms: int | None = None,
        like: AbstractIncomingMessage | None = None,
        publisher: str | None = None,
    ) -> None:
        """Put a message into a subscription's queue, now or through a delay tier (confirmed).

        The copy is notify's (its ``user_id``) and names the event's original publisher in
        ``RELAYED_FROM_HEADER``: consumers believe it only as relayed by notify.
        """
        relayed = {k: v for k, v in headers.items() if k != RELAYED_FROM_HEADER}
        if publisher:
            relayed[RELAYED_FROM_HEADER] = publisher
        message = aio_pika.Message(
            body,
            headers=relayed,
            user_id=self.user_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type=like.content_type if like else "application/cloudevents+json",
            message_id=like.message_id if like else None,
            correlation_id=like.correlation_id if like else None,
            type=like.type if like else None,
            timestamp=like.timestamp if like else None,
        )
        if delay_ms is None:
            name, routing_key = REDELIVER_EXCHANGE, f"{NOW_KEY}.{subscription_id}"
        else:
            name, routing_key = topology.DELAY_EXCHANGE, f"{delay_ms}.{subscription_id}"
        exchange = await self.channel.get_exchange(name, ensure=False)
        try:
            await exchange.publish(message, routing_key=routing_key)
        except DeliveryError:  # a channel nacked by a leaderless quorum queue stays so
            await renew_after_nack(self.channel, publisher="notify")
            raise

    # --- the stream -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def read_stream(
        self, start: StreamStart, prefetch: int = 500
    ) -> AsyncIterator[asyncio.Queue[AbstractIncomingMessage]]:
        """Consume ``notify.log`` from ``start`` on a channel of its own, while in the block.

        Streams need a prefetch limit (basic.qos) and manual acks: each message is acked as
        it is queued, which is what gives the broker credit to send more.
        """
        channel = await self.new_channel(prefetch)
        received: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

        async def take(message: AbstractIncomingMessage) -> None:
            received.put_nowait(message)  # before any await: in the order they came
            await message.ack()

        try:
            stream = await channel.get_queue(LOG_STREAM, ensure=False)
            await stream.consume(take, arguments={"x-stream-offset": start})
            yield received
        finally:
            with contextlib.suppress(Exception):
                await channel.close()


def stream_position(message: AbstractIncomingMessage) -> int:
    """The log position of a message read from the stream: its offset plus one."""
    offset = (message.headers or {}).get("x-stream-offset", -1)
    return (offset if isinstance(offset, int) else -1) + 1


def _close_unclaimed(opening: asyncio.Future[AbstractRobustChannel]) -> None:
    """Close a channel that opened after the caller who asked for it was cancelled."""
    if not opening.cancelled() and opening.exception() is None:
        closing = asyncio.ensure_future(opening.result().close())
        _UNCLAIMED_CLOSING.add(closing)  # held until done: the loop keeps only weak references
        closing.add_done_callback(_UNCLAIMED_CLOSING.discard)


_UNCLAIMED_CLOSING: set[asyncio.Future[None]] = set()
