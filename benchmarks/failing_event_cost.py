"""What one bad event costs the events queued behind it, with the default retry settings.

    python -m benchmarks.failing_event_cost [--runs 3]

Runs a consumer (default ``delivery_limit`` 5, retry pause 0.5 s) on a fresh queue of the
local RabbitMQ and, for each kind of bad event, publishes it followed by a valid event and
measures how long the valid one took from publish to handled:

* ``valid only``: no bad event ahead (the consumer's own latency);
* ``impossible``: an event whose time overflows UTC, rejected to the DLQ at once;
* ``failing``: a valid event whose handler always fails, dead-lettered after its retries.

It also prints the raw broker ceiling measured in the same run: publish to receipt on a plain
aio-pika consumer. Figures, not assertions: compare runs by eye.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid

import aio_pika

from benchmarks.cli import run
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.logging import configure_logging
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import ConsumerQueue
from shared.runtime import ServiceRuntime
from tests.support.broker import delete_queues, publish_raw
from tests.support.catalogue_events import agency_deactivated
from tests.support.servers import RABBITMQ_URL, drop_storage, fresh_storage, service_settings


async def raw_ceiling(samples: int = 20) -> float:
    """Median publish-to-receipt on a plain aio-pika consumer, in seconds."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        received: asyncio.Queue[float] = asyncio.Queue()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            received.put_nowait(time.perf_counter())

        await queue.consume(on_message)
        latencies = []
        for _ in range(samples):
            sent = time.perf_counter()
            await channel.default_exchange.publish(
                aio_pika.Message(b"x", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue.name,
            )
            latencies.append(await received.get() - sent)
        return statistics.median(latencies)


async def delay_behind(bad: bytes | None, fail_subject: str | None) -> float:
    """Seconds from publishing ``bad`` then a valid event until the valid one was handled."""
    queue = ConsumerQueue(f"bench.cost_{uuid.uuid4().hex[:8]}", ("agency.#",))
    storage = fresh_storage("bench")
    runtime = ServiceRuntime.create("bench", service_settings(log_level="CRITICAL"), storage)
    handled = asyncio.Event()
    follower = agency_deactivated(f"agc_follower_{uuid.uuid4().hex[:6]}")

    async def handle(event: CloudEvent) -> None:
        if event.subject == fail_subject:
            raise RuntimeError("this handler always fails for this event")
        if event.id == follower.id:
            handled.set()

    runtime.add_consumer(
        EventConsumer(service="bench", queue=queue, db=storage.db, handlers={"agency.*": handle})
    )
    await runtime.start()
    try:
        started = time.perf_counter()
        if bad is not None:
            await publish_raw(bad, "agency.deactivated", content_type=CONTENT_TYPE)
        await publish_raw(follower.to_json_bytes(), follower.type, content_type=CONTENT_TYPE)
        await asyncio.wait_for(handled.wait(), timeout=120)
        return time.perf_counter() - started
    finally:
        await runtime.stop()
        await drop_storage(storage)
        await delete_queues([queue.name, queue.dead_letter_name])


async def main(runs: int) -> None:
    configure_logging("bench", level="CRITICAL", fmt="console")
    ceiling = await raw_ceiling()
    impossible = agency_deactivated("agc_impossible").to_wire_dict() | {
        "time": "9999-12-31T23:59:59-01:00"
    }
    failing = agency_deactivated("agc_failing")
    cases: dict[str, tuple[bytes | None, str | None]] = {
        "valid only": (None, None),
        "impossible": (json.dumps(impossible).encode(), None),
        "failing": (failing.to_json_bytes(), failing.subject),
    }
    print(f"raw broker ceiling (publish -> plain consumer)  {ceiling * 1000:8.1f} ms")
    for name, (bad, fail_subject) in cases.items():
        delays = [await delay_behind(bad, fail_subject) for _ in range(runs)]
        median = statistics.median(delays)
        print(
            f"{name:<12} next valid event handled after {median * 1000:9.1f} ms"
            f"  (median of {runs}; {median / ceiling:7.0f} x the ceiling)"
        )


if __name__ == "__main__":
    run(main, __doc__, runs=3)
