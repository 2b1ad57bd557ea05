"""(a) Burst fan-out: N events onto mpp.events as fast as confirms allow, to 4 receivers.

    python -m benchmarks.notify_fanout [--events 2000] [--receivers 4] [--max-in-flight 1]

Starts notify as a process of its own (in-process store, fresh log stream) against the local
RabbitMQ, and ``--receivers`` real HTTP receivers in another process
(``benchmarks._notify_receivers``), subscribed to ``#`` (each verifies every delivery with the
``standardwebhooks`` package), publishes ``--events`` ``agency.registered`` events with
confirms, and waits until every receiver has accepted every event. Prints the fan-out rate
(deliveries/s), the latency from publish to verified receipt, and the raw broker ceiling of
the same run (aio-pika persistent publish+consume through one queue) with the ratio.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

from benchmarks._notify_bench import (
    Publisher,
    Tally,
    broker_pid,
    cpu_seconds,
    notify_with_receiver_process,
    ordered_path,
    percentile,
    raw_ceiling,
    run_main,
    wait_until,
)
from shared.logging import configure_logging
from tests.support.catalogue_events import agency_registered

WAIT_SECONDS = 300.0


async def main(events: int, receivers: int, max_in_flight: int) -> int:
    configure_logging("bench", level="WARNING", fmt="console")
    ceiling = await raw_ceiling()
    broker = broker_pid()
    batch = [agency_registered() for _ in range(events)]
    wanted = {event.id for event in batch}
    async with notify_with_receiver_process(receivers, max_in_flight) as (notify, group):
        tallies = [Tally(receiver, wanted) for receiver in group.receivers]
        async with Publisher() as publisher:
            pids = (notify.pid, group.pid, broker or 0)
            cpu_before, own_before = [cpu_seconds(pid) for pid in pids], time.process_time()
            started = time.monotonic()
            await asyncio.gather(*(publisher.publish(event) for event in batch))
            confirmed = time.monotonic()
            finished = await wait_until_done(tallies)
            notify_cpu, receivers_cpu, broker_cpu = (
                cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)
            )
            own_cpu = time.process_time() - own_before
            notify_wall = time.monotonic() - started
        path = await ordered_path(notify)
        published_at = publisher.published_at
    ceiling_after = await raw_ceiling()

    latencies = [
        arrived - published_at[event_id]
        for tally in tallies
        for event_id, arrived in tally.accepted_at.items()
    ]
    delivered = len(latencies)
    last = max((t for tally in tallies for t in tally.accepted_at.values()), default=started)
    fanout_seconds = max(last - started, 1e-9)
    rate = delivered / fanout_seconds
    ceiling_mean = (ceiling + ceiling_after) / 2
    print(
        f"events            {events}, {receivers} receivers on '#', max_in_flight {max_in_flight}"
    )
    print(f"deliveries        {delivered} of {events * receivers} accepted and verified")
    print(f"publish rate      {events / (confirmed - started):8.1f} events/s")
    print(f"fan-out           {rate:8.1f} deliveries/s ({fanout_seconds:.2f} s)")
    print(
        f"latency p50/p99   {statistics.median(latencies) * 1000:8.1f} / "
        f"{percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"notify CPU        {notify_cpu * 1000 / max(delivered, 1):8.2f} ms per delivery "
        f"({notify_cpu / notify_wall:.0%} of a core over the fan-out)"
    )
    per = 1000 / max(delivered, 1)
    print(
        f"other CPU         {receivers_cpu * per:8.2f} ms per delivery in the receivers"
        f" (verifying), {own_cpu * per:.2f} in this process (publisher, tallies),"
        f" {broker_cpu * per:.2f} in the broker"
    )
    print(f"ordered path      {path}")
    print(f"load average      {' / '.join(f'{v:.2f}' for v in os.getloadavg())} (1 / 5 / 15 min)")
    print(f"raw ceiling       {ceiling:8.1f} / {ceiling_after:.1f} msg/s (before / after)")
    print(f"ratio             {rate / ceiling_mean:8.2f} x the raw ceiling (target >= 0.5)")
    print(f"failed verify     {sum(t.unverified for t in tallies)}")
    return 0 if finished and delivered == events * receivers else 1


async def wait_until_done(tallies: list[Tally]) -> bool:
    return await wait_until(tallies, WAIT_SECONDS)


if __name__ == "__main__":
    run_main(main, __doc__, events=2000, receivers=4, max_in_flight=1)
