"""Benchmark the webhook fan-out: mpp.events -> notify's log -> signed webhooks to receivers.

    python -m benchmarks.notify_fanout [--events 500] [--receivers 4]

Starts the notify service in-process on loopback against the local RabbitMQ (in-process
store, a fast dispatcher poll, the normal retry schedule), subscribes ``--receivers`` real
HTTP receivers to ``#``, publishes ``--events`` well-formed ``agency.registered`` events onto
``mpp.events`` over one confirmed channel, and waits until every receiver has accepted (verified
and answered 2xx) every event. Prints the publish rate, the fan-out throughput and the latency
from publish to verified receipt. Figures, not assertions: compare runs by eye.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import aio_pika

from services.notify.bootstrap import build_app
from services.notify.settings import STANDARD_WEBHOOKS_SCHEDULE
from services.notify.topology import LOG_STREAM as QUEUE
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.logging import configure_logging
from shared.messaging.topology import EVENTS_EXCHANGE_NAME
from tests.support.broker import delete_queues
from tests.support.catalogue_events import agency_registered
from tests.support.servers import RABBITMQ_URL, drop_storage, fresh_storage, run_service
from tests.support.webhooks import ReceivedWebhook, WebhookReceiver, notify_settings

WAIT_SECONDS = 180.0
PUBLISH_WINDOW = 64
"""Publishes awaiting their broker confirm at once."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _publish_all(events: list[CloudEvent], published_at: dict[str, float]) -> float:
    """Publish over one connection with confirms; returns when the last one was confirmed."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        window = asyncio.Semaphore(PUBLISH_WINDOW)

        async def publish(event: CloudEvent) -> None:
            message = aio_pika.Message(
                event.to_json_bytes(),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                content_type=CONTENT_TYPE,
                message_id=event.id,
                correlation_id=event.correlationid,
                type=event.type,
            )
            async with window:
                published_at[event.id] = time.monotonic()
                await exchange.publish(message, routing_key=event.type)

        await asyncio.gather(*(publish(event) for event in events))
        return time.monotonic()


class Tally:
    """What one receiver has accepted so far, read incrementally."""

    def __init__(self, receiver: WebhookReceiver, wanted: set[str]) -> None:
        self.receiver = receiver
        self.wanted = wanted
        self.accepted_at: dict[str, float] = {}
        """Event id -> when its first verified, accepted delivery arrived (monotonic)."""
        self._seen = 0

    def update(self) -> None:
        fresh: list[ReceivedWebhook] = self.receiver.received[self._seen :]
        self._seen += len(fresh)
        for hook in fresh:
            if not hook.accepted:
                continue
            event_id = str(hook.event.get("id"))
            if event_id in self.wanted and event_id not in self.accepted_at:
                self.accepted_at[event_id] = hook.received_at

    @property
    def done(self) -> bool:
        return len(self.accepted_at) >= len(self.wanted)


async def main(events: int, receivers: int) -> int:
    configure_logging("bench", level="WARNING", fmt="console")
    settings = notify_settings(
        log_level="WARNING",
        webhook_poll_seconds=0.1,
        webhook_retry_schedule=STANDARD_WEBHOOKS_SCHEDULE,
    )
    storage = fresh_storage("notify")
    batch = [agency_registered() for _ in range(events)]
    wanted = {event.id for event in batch}
    published_at: dict[str, float] = {}
    hooks = [WebhookReceiver() for _ in range(receivers)]
    tallies = [Tally(receiver, wanted) for receiver in hooks]
    timed_out = False
    started = confirmed = time.monotonic()

    await delete_queues([QUEUE])
    try:
        for receiver in hooks:
            await receiver.start()
        async with run_service(build_app, settings, storage) as svc:
            for receiver in hooks:
                answer = await svc.client.post(
                    "/subscriptions",
                    json={
                        "url": receiver.url,
                        "event_types": ["#"],
                        "description": "notify fan-out benchmark",
                    },
                    headers=svc.headers,
                )
                answer.raise_for_status()
                receiver.trust(answer.json()["secret"])

            started = time.monotonic()
            confirmed = await _publish_all(batch, published_at)
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    while True:
                        for tally in tallies:
                            tally.update()
                        if all(tally.done for tally in tallies):
                            break
                        await asyncio.sleep(0.02)
            except TimeoutError:
                timed_out = True
    finally:
        for receiver in hooks:
            await receiver.stop()
        await delete_queues([QUEUE])
        await drop_storage(storage)

    latencies = [
        arrived - published_at[event_id]
        for tally in tallies
        for event_id, arrived in tally.accepted_at.items()
    ]
    delivered = len(latencies)
    expected = events * receivers
    last = max((t for tally in tallies for t in tally.accepted_at.values()), default=started)
    received = sum(len(r.received) for r in hooks)
    unverified = sum(1 for r in hooks for hook in r.received if not hook.verified)
    refused = sum(1 for r in hooks for hook in r.received if hook.verified and not hook.accepted)
    publish_seconds = confirmed - started
    fanout_seconds = last - started

    print(f"events            {events} published onto {EVENTS_EXCHANGE_NAME}")
    print(f"receivers         {receivers} subscribed to '#'")
    print(f"deliveries        {delivered} of {expected} accepted ({received} requests received)")
    print(f"publish rate      {events / publish_seconds:8.1f} events/s  ({publish_seconds:.2f} s)")
    if delivered:
        print(
            f"fan-out           {delivered / fanout_seconds:8.1f} deliveries/s"
            f"  ({fanout_seconds:.2f} s from first publish to last delivery)"
        )
        print(f"latency p50       {statistics.median(latencies) * 1000:8.1f} ms")
        print(f"latency p95       {_percentile(latencies, 0.95) * 1000:8.1f} ms")
        print(f"latency p99       {_percentile(latencies, 0.99) * 1000:8.1f} ms")
        print(f"latency max       {max(latencies) * 1000:8.1f} ms")
    print(f"failed verify     {unverified}")
    if refused:
        print(f"verified, not 2xx {refused}")
    if timed_out:
        print(f"TIMED OUT after {WAIT_SECONDS:.0f} s waiting for every delivery")
    return 1 if timed_out or unverified else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--receivers", type=int, default=4)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.events, args.receivers)))
