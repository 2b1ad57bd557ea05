"""What the trust boundary costs: the publisher check per event, the body cap per request.

    python -m benchmarks.trust_boundary [--events 2000] [--requests 2000]

Prints, from one run on the local RabbitMQ (a vhost of the run's own):

* the raw broker ceiling: persistent, confirmed messages published and consumed with aio-pika;
* the services' consumer (``EventConsumer``, in-process store) with ``MPP_BROKER_IDENTITIES``
  enforced and without, in events/s and as a ratio of the ceiling;
* ``verify_publisher`` alone, in microseconds per event;
* an in-process ASGI POST of a 4 KiB body with and without ``BodyLimitMiddleware``.

Figures, not assertions: the machine is shared and noisy, so compare ratios, not absolutes.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import httpx
from faststream.rabbit import RabbitBroker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks._notify_bench import raw_ceiling
from benchmarks.cli import run
from shared.events.envelope import CloudEvent
from shared.http.limits import BodyLimitMiddleware
from shared.logging import configure_logging
from shared.messaging.consumer import EventConsumer
from shared.messaging.identity import BrokerIdentities, configure_identities, verify_publisher
from shared.messaging.publisher import amqp_user
from shared.messaging.topology import EVENTS_EXCHANGE_NAME, ConsumerQueue, declare_consumer_queue
from shared.storage import connect
from tests.support.mou_events import Party, mou_signed
from tests.support.servers import RABBITMQ_URL

USER = amqp_user(RABBITMQ_URL)


def _events(count: int) -> list[CloudEvent]:
    parties = [Party("agc_a", "KEMENPANRB", "A"), Party("agc_b", "BNN", "B")]
    return [mou_signed(f"mou_{i}", parties, version=1) for i in range(count)]


async def _publish(channel: aio_pika.abc.AbstractChannel, bodies: list[bytes], key: str) -> None:
    exchange = await channel.get_exchange(EVENTS_EXCHANGE_NAME)
    await asyncio.gather(
        *(
            exchange.publish(
                aio_pika.Message(b, user_id=USER, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=key,
            )
            for b in bodies
        )
    )


async def consumer_rate(count: int, identities: str | None) -> float:
    """Events/s through an ``EventConsumer`` (parse, identity check, dedupe, handler, ack)."""
    configure_identities(identities)
    handled = asyncio.Event()
    seen = 0

    async def handler(event: CloudEvent) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            handled.set()

    queue = ConsumerQueue(f"bench.trust_{uuid.uuid4().hex[:6]}", ("mou.signed",))
    consumer = EventConsumer(
        service="bench",
        queue=queue,
        db=connect(None, f"bench_{uuid.uuid4().hex[:6]}").db,
        handlers={"mou.signed": handler},
        prefetch=50,
    )
    broker = RabbitBroker(RABBITMQ_URL, logger=None)
    consumer.subscribe(broker)
    await broker.connect()
    await declare_consumer_queue(broker, queue, consumer.channel)
    bodies = [e.to_json_bytes() for e in _events(count)]
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await _publish(channel, bodies, "mou.signed")  # queued before consuming starts
        started = time.perf_counter()
        await broker.start()
        await asyncio.wait_for(handled.wait(), timeout=600)
        elapsed = time.perf_counter() - started
        await broker.stop()
        await (await connection.channel()).queue_delete(queue.name)
        await (await connection.channel()).queue_delete(queue.dead_letter_name)
    return count / elapsed


def check_cost_microseconds(count: int) -> float:
    identities = BrokerIdentities.parse(f"mou={USER}")

    class Message:
        user_id = USER
        headers: dict[str, object] = {}

    events, message = _events(200), Message()
    started = time.perf_counter()
    for i in range(count):
        verify_publisher(events[i % len(events)], message, identities)
    return (time.perf_counter() - started) / count * 1e6


async def asgi_rate(requests: int, capped: bool) -> float:
    async def echo(request: Request) -> Response:
        return Response(str(len(await request.body())))

    app = Starlette(routes=[Route("/", echo, methods=["POST"])])
    if capped:
        app.add_middleware(BodyLimitMiddleware, max_bytes=256 * 1024)
    body = b"x" * 4096
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for _ in range(requests):
            (await client.post("/", content=body)).raise_for_status()
        return requests / (time.perf_counter() - started)


async def main(events: int, requests: int) -> None:
    configure_logging("bench", level="WARNING", fmt="console")
    ceiling = await raw_ceiling(events, size=2)  # the bodies it measured before: b"{}"
    print(f"broker ceiling (publish+consume, confirmed, persistent): {ceiling:8.0f} msg/s")
    for label, identities in (
        ("consumer, unchecked", None),
        ("consumer, identities enforced", f"mou={USER}"),
        ("consumer, unchecked (again)", None),
        ("consumer, identities enforced (again)", f"mou={USER}"),
    ):  # interleaved, so a trend on the shared machine shows rather than skews one side
        rate = await consumer_rate(events, identities)
        print(f"{label:<38}: {rate:8.0f} events/s  ({rate / ceiling:.2f} of the ceiling)")
    print(f"verify_publisher alone: {check_cost_microseconds(events * 10):.1f} µs per event")
    plain, capped = await asgi_rate(requests, False), await asgi_rate(requests, True)
    print(
        f"ASGI POST 4 KiB: {plain:.0f} req/s plain, {capped:.0f} req/s with the body cap "
        f"({capped / plain:.2f})"
    )
    configure_identities(None)


if __name__ == "__main__":
    run(main, __doc__, events=2000, requests=2000)
