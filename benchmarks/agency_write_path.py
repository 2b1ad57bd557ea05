"""Benchmark the write path: HTTP command -> outbox -> confirmed publish -> a consumer.

    python -m benchmarks.agency_write_path [--requests 2000] [--concurrency 20]

Starts the agency service in-process on loopback against the local RabbitMQ (in-process
store), registers agencies with concurrent HTTP clients, and prints request throughput, request
latency percentiles, and the delay from the HTTP answer to the event reaching a consumer of
``mpp.events`` (the outbox relay's cost). Figures, not assertions: compare runs by eye.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from benchmarks._notify_bench import raw_ceiling
from benchmarks.cli import run
from services.agency.bootstrap import build_app
from shared.logging import configure_logging
from tests.support.broker import EventTap
from tests.support.servers import run_service, service_settings


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(requests: int, concurrency: int) -> None:
    configure_logging("bench", level="WARNING", fmt="console")
    run = uuid.uuid4().hex[:4].upper()
    answered_at: dict[str, float] = {}
    latencies: list[float] = []
    settings = service_settings(log_level="WARNING", outbox_poll_seconds=1.0)
    async with EventTap(["agency.registered"]) as tap, run_service(build_app, settings) as svc:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(requests):
            queue.put_nowait(i)

        async def client() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {"code": f"B{run}_{i}", "name": f"Benchmark agency {i}", "kind": "agency"}
                started = time.perf_counter()
                response = await svc.client.post("/agencies", json=body, headers=svc.headers)
                done = time.perf_counter()
                response.raise_for_status()
                latencies.append(done - started)
                answered_at[response.json()["id"]] = done

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        arrivals = await tap.wait_for(
            lambda r: r.event["subject"] in answered_at, count=requests, timeout=120
        )
        delivered = time.perf_counter() - started

    # The tap records arrival order; estimate each arrival time by its receipt in the tap.
    print(f"requests          {requests} with {concurrency} concurrent clients")
    print(f"throughput        {requests / elapsed:8.1f} req/s  ({elapsed:.2f} s)")
    print(f"latency p50       {statistics.median(latencies) * 1000:8.1f} ms")
    print(f"latency p95       {_percentile(latencies, 0.95) * 1000:8.1f} ms")
    print(f"latency p99       {_percentile(latencies, 0.99) * 1000:8.1f} ms")
    print(f"events delivered  {len(arrivals)} of {requests}; all within {delivered:.2f} s of start")
    print(f"publish lag       {(delivered - elapsed) * 1000:8.1f} ms after the last answer")
    ceiling = await raw_ceiling()
    published = requests / delivered
    print(f"broker ceiling    {ceiling:8.1f} msg/s raw persistent publish+consume, this run")
    print(f"events/s vs raw   {published:8.1f} events/s on the broker = {published / ceiling:.2f}x")


if __name__ == "__main__":
    run(main, __doc__, requests=2000, concurrency=20)
