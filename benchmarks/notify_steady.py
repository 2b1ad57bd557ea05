"""(b) Steady load: 100 events/s to 4 subscribers for 5 minutes (``--duration`` to try shorter).

    python -m benchmarks.notify_steady [--rate 100] [--receivers 4] [--duration 300]

Prints the delivered rate against the offered one, the publish-to-verified latency (p50, p99),
the throughput of the last quarter against the first, and the raw broker ceiling of the same
run with the ratio. Every delivery is verified by the receivers with ``standardwebhooks``; they
run in a process of their own (``benchmarks._notify_receivers``), notify in another.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

from benchmarks._notify_bench import (
    Publisher,
    Tally,
    notify_with_receiver_process,
    ordered_path,
    percentile,
    raw_ceiling,
    run_main,
    wait_until,
)
from shared.logging import configure_logging
from tests.support.catalogue_events import agency_registered


async def main(rate: float, receivers: int, duration: float) -> int:
    configure_logging("bench", level="ERROR", fmt="console")
    ceiling = await raw_ceiling()
    total = int(rate * duration)
    batch = [agency_registered() for _ in range(total)]
    wanted = {event.id for event in batch}
    async with notify_with_receiver_process(receivers) as (notify, group):
        tallies = [Tally(receiver, wanted) for receiver in group.receivers]
        async with Publisher() as publisher:
            started = time.monotonic()
            for i, event in enumerate(batch):
                due = started + i / rate
                await asyncio.sleep(max(due - time.monotonic(), 0))
                asyncio.get_running_loop().create_task(publisher.publish(event))
            offered_seconds = time.monotonic() - started
            finished = await wait_until(tallies, 120)
            published_at = dict(publisher.published_at)
        path = await ordered_path(notify)
    ceiling_after = await raw_ceiling()

    arrivals = sorted(t for tally in tallies for t in tally.accepted_at.values())
    latencies = [
        arrived - published_at[event_id]
        for tally in tallies
        for event_id, arrived in tally.accepted_at.items()
    ]
    quarter = duration / 4
    first = sum(1 for t in arrivals if t - started < quarter) / quarter
    last = sum(1 for t in arrivals if 3 * quarter <= t - started < duration) / quarter
    delivered_rate = len(arrivals) / max(arrivals[-1] - started, 1e-9) if arrivals else 0.0
    offered = total * receivers / offered_seconds
    ceiling_mean = (ceiling + ceiling_after) / 2
    print(f"offered           {rate:g} events/s x {receivers} subscribers for {duration:g} s")
    print(
        f"delivered         {len(arrivals)} of {total * receivers}, {delivered_rate:.1f}/s"
        f" = {delivered_rate / offered:.2f} x offered {offered:.1f}/s (target >= 0.9)"
    )
    if latencies:
        print(
            f"latency p50/p99   {statistics.median(latencies) * 1000:.1f} /"
            f" {percentile(latencies, 0.99) * 1000:.1f} ms (target p99 <= 1000 ms)"
        )
    print(
        f"quarters          first {first:.1f}/s, last {last:.1f}/s,"
        f" ratio {last / first if first else 0:.2f} (target >= 0.8)"
    )
    print(f"latency by quarter {_by_quarter(tallies, published_at, started, quarter)}")
    print(f"ordered path      {path}")
    print(f"load average      {' / '.join(f'{v:.2f}' for v in os.getloadavg())} (1 / 5 / 15 min)")
    print(f"raw ceiling       {ceiling:.1f} / {ceiling_after:.1f} msg/s (before / after)")
    print(
        f"ratio             offered deliveries are {offered / ceiling_mean:.2f} x the ceiling;"
        f" delivered {delivered_rate / ceiling_mean:.2f} x"
    )
    print(f"failed verify     {sum(t.unverified for t in tallies)}")
    return 0 if finished else 1


def _by_quarter(
    tallies: list[Tally], published_at: dict[str, float], started: float, quarter: float
) -> str:
    """p50/p99 publish-to-verified of the events published in each quarter (ms)."""
    quarters: list[list[float]] = [[], [], [], []]
    for tally in tallies:
        for event_id, arrived in tally.accepted_at.items():
            sent = published_at[event_id]
            quarters[min(int((sent - started) / quarter), 3)].append(arrived - sent)
    return ", ".join(
        f"{percentile(q, 0.5) * 1000:.0f}/{percentile(q, 0.99) * 1000:.0f}" for q in quarters
    )


if __name__ == "__main__":
    run_main(main, __doc__, rate=100.0, receivers=4, duration=300.0)
