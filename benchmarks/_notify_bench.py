"""What the notify benchmarks share: the raw broker ceiling, receivers, publishing, figures.

The ceiling is measured in the same run because the machine is shared and noisy: persistent
messages published with confirms into one durable queue and consumed with manual acks by
aio-pika alone, no service in between. Each benchmark prints its figure beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aio_pika
import httpx

from benchmarks._notify_receivers import ReceiverProcess
from services.notify.bootstrap import build_app
from services.notify.topology import LOG_STREAM
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.messaging.topology import EVENTS_EXCHANGE_NAME
from tests.support.broker import delete_queues
from tests.support.processes import free_port
from tests.support.servers import API_KEY, RABBITMQ_URL, drop_storage, fresh_storage
from tests.support.servers import run_service as _run_service
from tests.support.webhooks import (
    LOOPBACK_ALLOWED,
    TEST_SECRET_KEYS,
    WebhookReceiver,
    notify_settings,
)

PUBLISH_WINDOW = 64
"""Publishes awaiting their broker confirm at once."""


def run_main(
    main: Callable[..., Coroutine[Any, Any, int]], description: str | None, **defaults: float
) -> None:
    """Parse one ``--option`` per keyword of ``main`` (typed by its default), run it, exit with
    its status: every notify benchmark's command line, in one place.

    Args:
        main: the benchmark; its keyword names become the options (``max_in_flight``:
            ``--max-in-flight``).
        description: the benchmark's module docstring, for ``--help``.
        defaults: each option's default, whose type (int or float) the option parses as.
    """
    parser = argparse.ArgumentParser(description=description)
    for name, default in defaults.items():
        option = "--" + name.replace("_", "-")
        parser.add_argument(option, dest=name, type=type(default), default=default)
    sys.exit(asyncio.run(main(**vars(parser.parse_args()))))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def rss_mb(pid: int | None = None) -> float:
    """A process's resident memory now (Linux /proc; default this one), in MiB."""
    try:
        with open(f"/proc/{pid or os.getpid()}/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc), in seconds.

    Per delivery it is the figure that load on a shared machine disturbs least: throughput
    there depends on how much of a core notify gets, its CPU cost per delivery does not.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def broker_pid(port: int = 5672) -> int | None:
    """The pid of the broker listening on ``port`` (``ss``), to read its CPU; None if unknown."""
    try:
        found = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"pid=(\d+)", found)
    return int(match.group(1)) if match else None


async def raw_ceiling(messages: int = 5000, size: int = 600) -> float:
    """msg/s of persistent publish (confirmed) + consume (acked) through one durable queue."""
    name = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(name, durable=True)
        consumer_channel = await connection.channel()
        await consumer_channel.set_qos(prefetch_count=200)
        consumer_queue = await consumer_channel.get_queue(name)
        done = asyncio.Event()
        count = 0

        async def take(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal count
            await message.ack()
            count += 1
            if count >= messages:
                done.set()

        await consumer_queue.consume(take)
        window = asyncio.Semaphore(PUBLISH_WINDOW)
        body = b"x" * size

        async def publish() -> None:
            async with window:
                await channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=name,
                )

        started = time.monotonic()
        await asyncio.gather(*(publish() for _ in range(messages)))
        await done.wait()
        elapsed = time.monotonic() - started
        await queue.delete(if_unused=False, if_empty=False)
    return messages / elapsed


class Publisher:
    """Confirmed, persistent publishing of CloudEvents onto ``mpp.events``."""

    def __init__(self) -> None:
        self.published_at: dict[str, float] = {}
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._window = asyncio.Semaphore(PUBLISH_WINDOW)

    async def __aenter__(self) -> Publisher:
        self._connection = await aio_pika.connect(RABBITMQ_URL)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(self, event: CloudEvent) -> None:
        assert self._exchange is not None
        message = aio_pika.Message(
            event.to_json_bytes(),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type=CONTENT_TYPE,
            message_id=event.id,
            correlation_id=event.correlationid,
            type=event.type,
            timestamp=event.time,
        )
        async with self._window:
            self.published_at[event.id] = time.monotonic()
            await self._exchange.publish(message, routing_key=event.type)


class Arrived(Protocol):
    @property
    def webhook_id(self) -> str: ...

    @property
    def received_at(self) -> float: ...

    @property
    def accepted(self) -> bool: ...

    @property
    def verified(self) -> bool: ...


class Receiving(Protocol):
    @property
    def received(self) -> Sequence[Arrived]: ...


class Tally:
    """What one receiver has accepted (verified with standardwebhooks, 2xx), read as it grows."""

    def __init__(self, receiver: Receiving, wanted: set[str]) -> None:
        self.receiver = receiver
        self.wanted = wanted
        self.accepted_at: dict[str, float] = {}
        self._seen = 0

    def update(self) -> None:
        fresh = self.receiver.received[self._seen :]
        self._seen += len(fresh)
        for hook in fresh:
            event_id = hook.webhook_id
            if hook.accepted and event_id in self.wanted and event_id not in self.accepted_at:
                self.accepted_at[event_id] = hook.received_at

    @property
    def done(self) -> bool:
        return len(self.accepted_at) >= len(self.wanted)

    @property
    def unverified(self) -> int:
        return sum(1 for hook in self.receiver.received if not hook.verified)


@dataclass
class Notify:
    """A running notify service, in-process or as a process of its own."""

    base_url: str
    client: httpx.AsyncClient
    headers: dict[str, str]
    pid: int


@asynccontextmanager
async def _notify_process(settings: dict[str, object]) -> AsyncIterator[Notify]:
    """``python -m services.notify`` on a free port (its own in-process store), until the end."""
    port = free_port()
    env = {
        **os.environ,
        "RABBITMQ_URL": RABBITMQ_URL,
        "MPP_API_KEY": API_KEY,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONMALLOC": "malloc",  # as the image runs it (Dockerfile)
        # The receivers listen on loopback, which the egress policy refuses by default.
        "WEBHOOK_ALLOWED_NETWORKS": LOOPBACK_ALLOWED,
        "MPP_SECRET_KEYS": TEST_SECRET_KEYS,
        **{name.upper(): str(value) for name, value in settings.items()},
    }
    log_path = os.path.join(tempfile.gettempdir(), f"notify-bench-{port}.log")
    with open(log_path, "wb") as log:  # noqa: ASYNC230 - once, before the measurement
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.notify", env=env, stdout=log, stderr=log
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            yield Notify(base_url, client, {"Authorization": f"Bearer {API_KEY}"}, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
        print(f"notify log        {log_path}")


@asynccontextmanager
async def _notify_in_process(settings: dict[str, object]) -> AsyncIterator[Notify]:
    storage = fresh_storage("notify")
    try:
        config = notify_settings(log_level="WARNING", **settings)
        async with _run_service(build_app, config, storage) as service:
            yield Notify(service.base_url, service.client, service.headers, os.getpid())
    finally:
        await drop_storage(storage)


@asynccontextmanager
async def notify_with_receivers(
    receivers: int, max_in_flight: int = 1, in_process: bool = False, **settings: object
) -> AsyncIterator[tuple[Notify, list[WebhookReceiver]]]:
    """Notify (a process of its own by default) with ``receivers`` subscribed to ``#``.

    Args:
        in_process: run notify in this process's event loop instead (it then competes with
            the receivers and the publisher for one core).
        settings: notify settings (``sse_max_connections=...``).
    """
    hooks = [WebhookReceiver() for _ in range(receivers)]
    await delete_queues([LOG_STREAM])
    run = _notify_in_process if in_process else _notify_process
    try:
        for receiver in hooks:
            await receiver.start()
        async with run(settings) as service:
            for receiver in hooks:
                receiver.trust(await _subscribe(service, receiver.url, max_in_flight))
            yield service, hooks
    finally:
        for receiver in hooks:
            await receiver.stop()


async def _subscribe(service: Notify, url: str, max_in_flight: int) -> str:
    """A subscription of ``url`` to ``#``; its signing secret."""
    answer = await service.client.post(
        "/subscriptions",
        json={
            "url": url,
            "event_types": ["#"],
            "description": "notify benchmark",
            "max_in_flight": max_in_flight,
        },
        headers=service.headers,
    )
    answer.raise_for_status()
    return str(answer.json()["secret"])


@asynccontextmanager
async def notify_with_receiver_process(
    receivers: int, max_in_flight: int = 1, **settings: object
) -> AsyncIterator[tuple[Notify, ReceiverProcess]]:
    """Notify as a process of its own and ``receivers`` in another, subscribed to ``#``."""
    group = ReceiverProcess(receivers)
    await delete_queues([LOG_STREAM])
    try:
        hooks = await group.start()
        async with _notify_process(settings) as service:
            for receiver in hooks:
                receiver.trust(await _subscribe(service, receiver.url, max_in_flight))
            yield service, group
    finally:
        await group.stop()


async def wait_until(tallies: list[Tally], seconds: float) -> bool:
    """Poll the tallies until every receiver has everything; False on timeout."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                for tally in tallies:
                    tally.update()
                if all(t.done for t in tallies):
                    return True
                await asyncio.sleep(0.05)
    except TimeoutError:
        return False


async def metrics_text(client: httpx.AsyncClient) -> str:
    return (await client.get("/metrics")).text


ORDERED_PATH_PAGES = 4
"""Pages of 500 deliveries read for the ordered path (each page reads only its own attempts)."""


async def ordered_path(notify: Notify) -> str:
    """Where one subscription's time went, from its first 2,000 attempt records: how long each
    attempt took (the receiver's round trip as notify sees it) and the gap from one attempt's
    end to the next one's start (notify's own time per delivery on the ordered path, and idle
    time when it had nothing to send)."""
    listed = await notify.client.get("/subscriptions", headers=notify.headers)
    subscription = listed.json()["items"][0]["id"]
    attempts: list[tuple[float, float]] = []
    cursor: str | None = None
    for _ in range(ORDERED_PATH_PAGES):
        params: dict[str, str | int] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (
            await notify.client.get(
                f"/subscriptions/{subscription}/deliveries", params=params, headers=notify.headers
            )
        ).json()
        for delivery in page["items"]:
            for attempt in delivery["attempts"]:
                at = datetime.fromisoformat(attempt["at"]).timestamp()
                attempts.append((at, attempt["duration_ms"] / 1000))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    attempts.sort()
    durations = [d for _, d in attempts]
    gaps = [b[0] - (a[0] + a[1]) for a, b in itertools.pairwise(attempts)]
    return (
        f"attempt p50/p99 {percentile(durations, 0.5) * 1000:.2f} /"
        f" {percentile(durations, 0.99) * 1000:.2f} ms; gap to the next p50/p99"
        f" {percentile(gaps, 0.5) * 1000:.2f} / {percentile(gaps, 0.99) * 1000:.2f} ms"
        f" ({len(attempts)} attempts of one subscription)"
    )
