"""(d) Soak: 10 writes/s through the services for 10 minutes (``--duration`` to try shorter).

    python -m benchmarks.notify_soak [--rate 10] [--duration 600] [--every 30]

Runs the agency service in this process and notify as a process of its own (in-process
stores) on the local RabbitMQ.
Registers ``--rate`` agencies a second over HTTP, each on a task of its own so a slow answer
does not lower the offered rate (each write: outbox -> relay -> mpp.events
-> notify's log stream and its subscribers' queues) with one webhook subscriber and one SSE
client. Every ``--every`` seconds prints notify's RSS (a process of its own), how many events
the subscriber and the live feed have and their lag behind the writes; at the end the raw
broker ceiling measured in the same run.
"""

from __future__ import annotations

import asyncio
import time

from benchmarks._notify_bench import notify_with_receivers, raw_ceiling, rss_mb, run_main
from services.agency.bootstrap import build_app as build_agency
from shared.logging import configure_logging
from tests.support.servers import fresh_storage, run_service
from tests.support.sse import SseReader
from tests.support.webhooks import WebhookReceiver


async def main(rate: float, duration: float, every: float) -> int:
    configure_logging("bench", level="ERROR", fmt="console")
    ceiling = await raw_ceiling()
    written: dict[str, float] = {}
    async with (
        notify_with_receivers(1) as (notify, [receiver]),
        run_service(build_agency, storage=fresh_storage("agency")) as agency,
        SseReader(notify.client, "/events/stream", params={"types": "agency.#"}) as feed,
    ):
        started = time.monotonic()
        samples = 0
        lags: list[float] = []
        print(
            f"{'t s':>6} {'writes':>7} {'hooks':>7} {'feed':>7} {'hook lag s':>10} {'rss MiB':>8}"
        )
        in_flight: set[asyncio.Task[None]] = set()

        async def write(i: int) -> None:
            answer = await agency.client.post(
                "/agencies",
                json={"code": f"SOAK{i:07d}", "name": f"Soak agency {i}", "kind": "agency"},
                headers=agency.headers,
            )
            if answer.status_code == 201:
                written[answer.json()["id"]] = time.monotonic()

        for i in range(int(rate * duration)):
            await asyncio.sleep(max(started + i / rate - time.monotonic(), 0))
            # Each write on its own task: the offered rate does not wait for the answers.
            task = asyncio.create_task(write(i))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            if time.monotonic() - started >= (samples + 1) * every:
                samples += 1
                lags.append(_sample(started, written, receiver, feed, notify.pid))
        if in_flight:
            await asyncio.wait(in_flight)
        offered_seconds = time.monotonic() - started
        await asyncio.sleep(5)
        lags.append(_sample(started, written, receiver, feed, notify.pid))
        print(
            f"summary: {len(written)} writes in {offered_seconds:.0f} s"
            f" ({len(written) / offered_seconds:.2f}/s offered {rate:g}/s);"
            f" subscriber lag at the samples: max {max(lags):.2f} s, last {lags[-1]:.2f} s"
        )
    ceiling_after = await raw_ceiling()
    print(
        f"raw ceiling {ceiling:.1f} / {ceiling_after:.1f} msg/s (before / after);"
        f" offered {rate:g} writes/s = {rate / ((ceiling + ceiling_after) / 2):.3f} x"
    )
    return 0


def _sample(
    started: float,
    written: dict[str, float],
    receiver: WebhookReceiver,
    feed: SseReader,
    pid: int,
) -> float:
    """One line: writes so far, what the subscriber and the feed have, the oldest lag, RSS."""
    hooks = [h for h in receiver.received if h.accepted]
    subjects = {h.event.get("subject") for h in hooks}
    waiting = [t for subject, t in written.items() if subject not in subjects]
    lag = time.monotonic() - min(waiting) if waiting else 0.0
    in_feed = sum(1 for m in feed.messages if m.event == "agency.registered")
    print(
        f"{time.monotonic() - started:6.0f} {len(written):7d} {len(hooks):7d} {in_feed:7d}"
        f" {lag:10.2f} {rss_mb(pid):8.1f}"
    )
    return lag


if __name__ == "__main__":
    run_main(main, __doc__, rate=10.0, duration=600.0, every=30.0)
