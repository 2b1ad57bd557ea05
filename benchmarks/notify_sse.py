"""(c) The live feed: 200 SSE clients at 20 events/s, latency and memory.

    python -m benchmarks.notify_sse [--clients 200] [--rate 20] [--duration 60]

Opens ``--clients`` streams on ``/events/stream``, publishes ``--rate`` events/s onto
``mpp.events`` for ``--duration`` seconds, and prints the publish-to-receipt latency over every
client (p50, p95), this process's RSS before the clients connect, with them, and after they
close, and the raw broker ceiling of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time

import httpx

from benchmarks._notify_bench import (
    Publisher,
    notify_with_receivers,
    percentile,
    raw_ceiling,
    rss_mb,
)
from shared.logging import configure_logging
from tests.support.catalogue_events import agency_registered
from tests.support.sse import SseReader


async def main(clients: int, rate: float, duration: float) -> int:
    configure_logging("bench", level="ERROR", fmt="console")
    ceiling = await raw_ceiling()
    total = int(rate * duration)
    batch = [agency_registered() for _ in range(total)]
    wanted = {e.id for e in batch}
    async with notify_with_receivers(0, sse_max_connections=clients + 10) as (service, _):
        gc.collect()
        baseline = rss_mb(service.pid)
        limits = httpx.Limits(max_connections=clients + 10)
        async with httpx.AsyncClient(base_url=service.base_url, limits=limits) as http:
            readers = [SseReader(http, "/events/stream") for _ in range(clients)]
            await asyncio.gather(*(r.__aenter__() for r in readers))
            await asyncio.sleep(1)
            async with Publisher() as publisher:
                started = time.monotonic()
                for i, event in enumerate(batch):
                    await asyncio.sleep(max(started + i / rate - time.monotonic(), 0))
                    asyncio.get_running_loop().create_task(publisher.publish(event))
                await asyncio.sleep(3)
                published_at = dict(publisher.published_at)
            during = rss_mb(service.pid)
            latencies: list[float] = []
            received = 0
            for reader in readers:
                for arrived, message in zip(reader.arrivals, reader.messages, strict=False):
                    event_id = json.loads(message.data).get("id")
                    if event_id in wanted:
                        received += 1
                        latencies.append(arrived - published_at[event_id])
            await asyncio.gather(*(r.close() for r in readers))
        del readers
        await asyncio.sleep(2)
        gc.collect()
        after = rss_mb(service.pid)
    ceiling_after = await raw_ceiling()
    print(f"clients           {clients}, {rate:g} events/s for {duration:g} s")
    print(f"received          {received} of {total * clients} event frames")
    if latencies:
        print(
            f"latency p50/p95   {statistics.median(latencies) * 1000:.1f} /"
            f" {percentile(latencies, 0.95) * 1000:.1f} ms (target p95 <= 500 ms)"
        )
    print(
        f"rss               {baseline:.1f} MiB before, {during:.1f} with clients,"
        f" {after:.1f} after they closed (the notify process)"
    )
    print(
        f"raw ceiling       {ceiling:.1f} / {ceiling_after:.1f} msg/s (before / after);"
        f" frames delivered {received / duration:.1f}/s ="
        f" {received / duration / ((ceiling + ceiling_after) / 2):.2f} x"
    )
    return 0 if received == total * clients else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.clients, args.rate, args.duration)))
