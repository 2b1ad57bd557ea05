"""Watching and disturbing the real RabbitMQ from tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.messaging.topology import EVENTS_EXCHANGE_NAME
from tests.support.eventually import Arrivals, eventually
from tests.support.ports import Listener
from tests.support.servers import RABBITMQ_URL

SERVICE_QUEUES = ["mou.agencies", "mall.agencies", "mall.mous", "notify.log"]
"""The services' own consumer queues (notify's log stream), which tests that run the real
services declare."""


@dataclass
class Received:
    """An event as it arrived: its parsed body and its AMQP message."""

    event: dict[str, Any]
    message: AbstractIncomingMessage

    @property
    def type(self) -> str:
        return str(self.event.get("type"))


MARKER_TYPE = "tests.tap-marker"
"""The AMQP type of the tap's own markers, which it does not record as events."""


class EventTap:
    """An exclusive queue bound to ``mpp.events`` that records what is published.

    Use as ``async with EventTap(["agency.#"]) as tap: ... await tap.wait_for(...)``.
    """

    def __init__(self, patterns: Iterable[str] = ("#",), url: str = RABBITMQ_URL) -> None:
        self._patterns = list(patterns)
        self._url = url
        self._arrivals: Arrivals[Received] = Arrivals()
        self.received = self._arrivals.items
        self._markers: Arrivals[str] = Arrivals()
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._queue = ""

    async def __aenter__(self) -> EventTap:
        self._connection = await aio_pika.connect(self._url)
        self._channel = await self._connection.channel()
        exchange = await self._channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        self._queue = queue.name
        for pattern in self._patterns:
            await queue.bind(exchange, routing_key=pattern)
        await queue.consume(self._on_message)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        if message.type == MARKER_TYPE:
            await self._markers.add(message.message_id)
            return
        try:
            body = json.loads(message.body)
        except ValueError:
            body = {"_raw": message.body.decode(errors="replace")}
        await self._arrivals.add(Received(event=body, message=message))

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.type == event_type]

    async def wait_for(
        self,
        predicate: Callable[[Received], bool] | str,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Received]:
        """Wait until ``count`` received events match (a type name or a predicate)."""
        match = (lambda r: r.type == predicate) if isinstance(predicate, str) else predicate
        return await self._arrivals.wait_for(match, count, timeout)

    async def caught_up(self, timeout: float = 10.0) -> None:
        """Wait until the tap has taken everything its queue held when this was called.

        A marker goes to the tap's own queue (through the default exchange) and is waited
        for: the queue is first in, first out, so everything the broker had routed to the
        tap before (every publish already confirmed) has been recorded by then.
        """
        assert self._channel is not None, "use the tap as an async context manager"
        marker = uuid.uuid4().hex
        await self._channel.default_exchange.publish(
            aio_pika.Message(b"", type=MARKER_TYPE, message_id=marker), routing_key=self._queue
        )
        await self._markers.wait_for(lambda seen: seen == marker, timeout=timeout)


async def delete_queues(names: Iterable[str], url: str = RABBITMQ_URL) -> None:
    """Delete queues (and their DLQs) so a test starts from an empty topology."""
    connection = await aio_pika.connect(url)
    async with connection:
        for name in names:
            for queue in (name, f"{name}.dlq"):
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)


async def publish_raw(
    body: bytes, routing_key: str, url: str = RABBITMQ_URL, **properties: Any
) -> None:
    """Publish bytes onto ``mpp.events`` as a misbehaving producer would."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await exchange.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **properties),
            routing_key=routing_key,
        )


async def get_one(
    queue_name: str,
    matching: Callable[[bytes], bool] = lambda _body: True,
    url: str = RABBITMQ_URL,
    timeout: float = 10.0,
) -> bytes:
    """Take messages from ``queue_name`` (e.g. a DLQ) until one matches; wait up to ``timeout``.

    Other test runs may share the broker, so a test names the message it expects.
    """
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=True)

        async def matching_message() -> bytes | None:
            message = await queue.get(fail=False, no_ack=True)
            return message.body if message is not None and matching(message.body) else None

        found = await eventually(
            matching_message,
            until=lambda found: found is not None,
            timeout=timeout,
            every=0.1,
            what=f"a matching message on {queue_name}",
        )
        assert found is not None
        return found


class TcpProxy(Listener):
    """A loopback TCP proxy to RabbitMQ that a test can cut and restore (a broker outage)."""

    def __init__(self, broker_url: str = RABBITMQ_URL) -> None:
        super().__init__()
        self._broker = urlsplit(broker_url)
        self._target = (self._broker.hostname or "127.0.0.1", self._broker.port or 5672)

    @property
    def url(self) -> str:
        credentials = self._broker.netloc.rsplit("@", 1)[0] if "@" in self._broker.netloc else ""
        at = f"{credentials}@" if credentials else ""
        return urlunsplit(
            (self._broker.scheme, f"{at}127.0.0.1:{self.port}", self._broker.path or "/", "", "")
        )

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        await self.stop()

    async def restore(self) -> None:
        await self.start()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.add(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.discard(up_writer)
