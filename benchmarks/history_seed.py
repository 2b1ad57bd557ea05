"""Benchmark ``mppctl seed --history``: the programme's ~300 malls through the public APIs.

    python -m benchmarks.history_seed [--workers 8]

Starts the four services as processes (as ``scripts/run`` does, in-process stores, in a vhost
of this run's own), then runs ``mppctl seed --history --json`` twice: the first load (the
issue's bound: under 3 minutes) with notify's catch-up lag, and a second, idempotent run.
It prints the events published per second next to the raw broker ceiling measured in the
same run (persistent messages, publisher confirms, one channel), and their ratio: the
machine is shared and noisy, so compare ratios, not seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractIncomingMessage

from benchmarks.cli import run
from shared.messaging.topology import EVENTS_EXCHANGE_NAME
from tests.support.processes import ROOT, System, running_system
from tests.support.servers import RABBITMQ_URL

CEILING_MESSAGES = 3000


async def broker_ceiling(messages: int = CEILING_MESSAGES) -> float:
    """Confirmed persistent publishes per second to a durable queue, awaited in windows."""
    connection = await aio_pika.connect_robust(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"bench-ceiling-{uuid.uuid4().hex[:8]}", durable=True)
        body = b"x" * 600  # about a mall event's size
        started = time.perf_counter()
        for start in range(0, messages, 100):
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=queue.name,
                    )
                    for _ in range(start, min(start + 100, messages))
                )
            )
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
    return messages / elapsed


class ArrivalTap:
    """Records when each mall event reached the broker (wall clock), by event id."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._connection: aio_pika.abc.AbstractConnection | None = None

    async def __aenter__(self) -> ArrivalTap:
        self._connection = await aio_pika.connect(RABBITMQ_URL)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="mall.#")
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.arrived[json.loads(message.body)["id"]] = time.time()


async def _seed(system: System, workers: int) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "mppctl", "--json", "seed", "--history", "--quiet", "--workers", str(workers)),
        cwd=ROOT,
        env={**os.environ, **system.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=900)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"mppctl seed --history failed:\n{err.decode()[-3000:]}")
    return json.loads(out), elapsed


async def _logged(http: httpx.AsyncClient, system: System) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 500, "type": "mall.*"}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get(f"{system.url('notify')}/events", params=params)).json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "n/a"
    median, top = ordered[len(ordered) // 2], ordered[-1]
    return f"median {median:6.2f} s, max {top:6.2f} s"


async def main(workers: int) -> None:
    ceiling = await broker_ceiling()
    with tempfile.TemporaryDirectory() as logs, running_system(Path(logs)) as system:
        async with ArrivalTap() as tap, httpx.AsyncClient(timeout=30) as http:
            first, first_seconds = await _seed(system, workers)
            logged = await _logged(http, system)
            second, second_seconds = await _seed(system, workers)
            stats = (await http.get(f"{system.url('mall')}/malls/stats")).json()
    relay = [tap.arrived[e["event"]["id"]] - _seconds(e["event"]["time"]) for e in logged
             if e["event"]["id"] in tap.arrived]  # fmt: skip
    notify = [_seconds(e["logged_at"]) - tap.arrived[e["event"]["id"]] for e in logged
              if e["event"]["id"] in tap.arrived]  # fmt: skip
    arrivals = sorted(tap.arrived.values())
    relay_rate = len(arrivals) / max(arrivals[-1] - arrivals[0], 1e-9) if arrivals else 0.0
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine)")
    print(f"broker ceiling           {ceiling:8.0f} confirmed persistent msg/s")
    print(f"first load               {first_seconds:8.1f} s wall, of which")
    print(f"  requests (mppctl)      {first['load_seconds']:8.1f} s")
    print(f"  notify catch-up        {first.get('notify_lag_seconds')} s after the last write")
    print(f"  malls loaded           {stats['total']:8d} in {len(stats['by_province'])} provinces")
    print(f"  mall events logged     {len(logged):8d} by notify")
    share = relay_rate / ceiling
    print(f"  relay publish rate     {relay_rate:8.1f} events/s ({share:.2%} of the ceiling)")
    print(f"  written -> broker      {_spread(relay)} (mall's outbox relay)")
    print(f"  broker -> notify log   {_spread(notify)}")
    print(f"second run (no change)   {second_seconds:8.1f} s, changed: {second['changed']}")


if __name__ == "__main__":
    run(main, __doc__.split("\n\n")[0], workers=8)
