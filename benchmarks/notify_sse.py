"""(c) The live feed: 200 SSE clients at 20 events/s, latency and memory.

    python -m benchmarks.notify_sse [--clients 200] [--rate 20] [--duration 60]

Opens ``--clients`` streams on ``/events/stream``, publishes ``--rate`` events/s onto
``mpp.events`` for ``--duration`` seconds, and prints the publish-to-receipt latency over every
client (p50, p95), notify's RSS before the clients connect, with them, and after they close,
and the raw broker ceiling of the same run. The same number of events is published once
before at the same rate, with no client, so that what the log's tail keeps in memory for
them (the live ring) is told apart from what the clients left behind; and one client comes
and goes before that, so that what the first stream builds once for good (its route's
response models, found on notify's heap after the first stream) is not counted as theirs.

The clients are plain sockets that only timestamp what arrives (``RawSseClient``); the frames
are parsed after the run. 200 httpx readers parsing 4,000 frames/s took about three times
notify's own CPU on the same two cores, so they measured themselves more than notify.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable

import httpx

from benchmarks._notify_bench import (
    Publisher,
    cpu_seconds,
    notify_with_receivers,
    percentile,
    raw_ceiling,
    rss_mb,
    run_main,
)
from shared.events.envelope import CloudEvent
from shared.logging import configure_logging
from tests.support.catalogue_events import agency_registered
from tests.support.sse import SseMessage, SseParser


class RawSseClient(asyncio.Protocol):
    """One ``GET /events/stream`` on a socket: records each piece of bytes with its arrival."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._request = (
            f"GET /events/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
        self.pieces: list[tuple[float, bytes]] = []
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        assert isinstance(transport, asyncio.Transport)
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self.pieces.append((time.monotonic(), data))

    def messages(self) -> list[tuple[float, SseMessage]]:
        """Every event with the arrival of the piece that completed its HTTP chunk."""
        raw = b"".join(piece for _, piece in self.pieces)
        ends = list(itertools.accumulate(len(piece) for _, piece in self.pieces))
        parser = SseParser()
        found: list[tuple[float, SseMessage]] = []
        at = raw.index(b"\r\n\r\n") + 4  # after the response head; then chunked encoding
        while True:
            line_end = raw.find(b"\r\n", at)
            if line_end < 0:
                return found
            size = int(raw[at:line_end], 16)
            start, at = line_end + 2, line_end + 2 + size + 2
            if size == 0 or at > len(raw):
                return found
            arrived = self.pieces[bisect.bisect_left(ends, start + size)][0]
            for line in raw[start : start + size].decode().split("\r\n"):
                message = parser.feed(line)
                if message is not None:
                    found.append((arrived, message))


def _factory(client: RawSseClient) -> Callable[[], RawSseClient]:
    return lambda: client


async def _connect(clients: list[RawSseClient]) -> None:
    """Open every stream and wait until each has its first bytes."""
    loop = asyncio.get_running_loop()
    for client in clients:
        await loop.create_connection(_factory(client), client.host, client.port)
    while not all(c.pieces for c in clients):  # noqa: ASYNC110 - a short poll
        await asyncio.sleep(0.05)


def _close(clients: list[RawSseClient]) -> None:
    for client in clients:
        assert client.transport is not None
        client.transport.close()


async def _warm_up(host: str, port: int) -> None:
    """One stream opened, fed a few events and closed: what a first stream builds once."""
    first = [RawSseClient(host, port)]
    await _connect(first)
    async with Publisher() as publisher:
        await asyncio.gather(*(publisher.publish(agency_registered()) for _ in range(20)))
    await asyncio.sleep(1)
    _close(first)
    await asyncio.sleep(2)  # the heap pass after closes runs a second after the last one


async def _publish_paced(publisher: Publisher, events: list[CloudEvent], rate: float) -> None:
    """``events`` at ``rate`` per second, each publish in a task of its own."""
    started = time.monotonic()
    for i, event in enumerate(events):
        await asyncio.sleep(max(started + i / rate - time.monotonic(), 0))
        asyncio.get_running_loop().create_task(publisher.publish(event))
    await asyncio.sleep(3)


async def _rss_for_the_log_tail(events: int, rate: float, pid: int) -> float:
    """Notify's RSS once ``events`` more events are in its log's tail, published as the
    clients' will be but with no client: the memory the live ring keeps for them whether
    anyone reads it or not."""
    async with Publisher() as publisher:
        await _publish_paced(publisher, [agency_registered() for _ in range(events)], rate)
    return rss_mb(pid)


async def _rss_after_another_wave(host: str, port: int, clients: int, pid: int) -> float:
    """As many clients again, connected and closed: memory the first ones left behind is
    reused (the allocator keeps it), or it grows again (a leak)."""
    opened = [RawSseClient(host, port) for _ in range(clients)]
    await _connect(opened)
    _close(opened)
    await asyncio.sleep(2)
    return rss_mb(pid)


async def main(clients: int, rate: float, duration: float) -> int:
    configure_logging("bench", level="ERROR", fmt="console")
    ceiling = await raw_ceiling()
    total = int(rate * duration)
    batch = [agency_registered() for _ in range(total)]
    wanted = {e.id for e in batch}
    async with notify_with_receivers(0, sse_max_connections=clients + 10) as (service, _):
        url = httpx.URL(service.base_url)
        host, port = url.host, url.port or 80
        await _warm_up(host, port)
        fresh = rss_mb(service.pid)
        log_tail = await _rss_for_the_log_tail(total, rate, service.pid) - fresh
        baseline = rss_mb(service.pid)
        readers = [RawSseClient(host, port) for _ in range(clients)]
        await _connect(readers)
        await asyncio.sleep(1)
        async with Publisher() as publisher:
            started = time.monotonic()
            cpu_before = cpu_seconds(service.pid)
            await _publish_paced(publisher, batch, rate)
            notify_cpu = cpu_seconds(service.pid) - cpu_before
            notify_wall = time.monotonic() - started
            published_at = dict(publisher.published_at)
        during = rss_mb(service.pid)
        _close(readers)
        latencies = [
            arrived - published_at[event_id]
            for reader in readers
            for arrived, message in reader.messages()
            if (event_id := json.loads(message.data).get("id") if message.data else None) in wanted
        ]
        received = len(latencies)
        del readers
        await asyncio.sleep(2)
        gc.collect()
        after = rss_mb(service.pid)
        after_again = await _rss_after_another_wave(host, port, clients, service.pid)
    ceiling_after = await raw_ceiling()
    print(f"clients           {clients}, {rate:g} events/s for {duration:g} s")
    print(f"received          {received} of {total * clients} event frames")
    if latencies:
        print(
            f"latency p50/p95   {statistics.median(latencies) * 1000:.1f} /"
            f" {percentile(latencies, 0.95) * 1000:.1f} ms (target p95 <= 500 ms)"
        )
    _print_cpu_and_load(notify_cpu, notify_wall, received)
    print(
        f"rss               {baseline:.1f} MiB before, {during:.1f} with clients,"
        f" {after:.1f} after they closed, {after_again:.1f} after as many again came and went"
        " (the notify process)"
    )
    print(
        f"rss left          {after - baseline:+.1f} MiB after they closed, of which the log's"
        f" tail holds {log_tail:+.1f} ({total} events in memory: measured on their own before"
        f" the clients); so the clients left {after - baseline - log_tail:+.1f} MiB"
    )
    print(
        f"raw ceiling       {ceiling:.1f} / {ceiling_after:.1f} msg/s (before / after);"
        f" frames delivered {received / duration:.1f}/s ="
        f" {received / duration / ((ceiling + ceiling_after) / 2):.2f} x"
    )
    return 0 if received == total * clients else 1


def _print_cpu_and_load(notify_cpu: float, wall: float, frames: int) -> None:
    print(
        f"notify CPU        {notify_cpu * 1e6 / max(frames, 1):.1f} µs per frame"
        f" ({notify_cpu / wall:.0%} of a core)"
    )
    print(f"load average      {' / '.join(f'{v:.2f}' for v in os.getloadavg())} (1 / 5 / 15 min)")


if __name__ == "__main__":
    run_main(main, __doc__, clients=200, rate=20.0, duration=60.0)
