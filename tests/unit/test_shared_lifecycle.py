"""A service's workers start in the order registered and stop in reverse, whatever fails."""

from __future__ import annotations

import asyncio

import pytest

from shared.lifecycle import Lifecycle, PeriodicTask, PeriodicWorker


class Recorded:
    """A worker that writes its starts and stops to a shared journal."""

    def __init__(self, name: str, journal: list[str], *, fail: str = "") -> None:
        self.name = name
        self.journal = journal
        self.fail = fail

    async def start(self) -> None:
        if self.fail == "start":
            raise RuntimeError(f"{self.name} cannot start")
        self.journal.append(f"start {self.name}")

    async def stop(self) -> None:
        self.journal.append(f"stop {self.name}")
        if self.fail == "stop":
            raise RuntimeError(f"{self.name} cannot stop")
        if self.fail == "hang":
            await asyncio.sleep(3600)


def lifecycle_of(journal: list[str], **failures: str) -> Lifecycle:
    lifecycle = Lifecycle()
    for name in ("broker", "relay", "workers"):
        lifecycle.add(name, Recorded(name, journal, fail=failures.get(name, "")), stop_within=0.2)
    return lifecycle


async def test_workers_stop_in_the_reverse_of_their_start_order() -> None:
    journal: list[str] = []
    lifecycle = lifecycle_of(journal)
    await lifecycle.start()
    await lifecycle.stop()
    assert journal == [
        "start broker",
        "start relay",
        "start workers",
        "stop workers",
        "stop relay",
        "stop broker",
    ]


async def test_a_worker_that_fails_to_start_stops_those_started_before_it() -> None:
    journal: list[str] = []
    lifecycle = lifecycle_of(journal, workers="start")
    with pytest.raises(RuntimeError, match="workers cannot start"):
        await lifecycle.start()
    assert journal == ["start broker", "start relay", "stop relay", "stop broker"]


@pytest.mark.parametrize("failure", ["stop", "hang"])
async def test_a_stop_that_fails_or_hangs_past_its_bound_does_not_keep_the_others_running(
    failure: str,
) -> None:
    journal: list[str] = []
    lifecycle = lifecycle_of(journal, relay=failure)
    await lifecycle.start()
    await asyncio.wait_for(lifecycle.stop(), timeout=5)
    assert journal[-3:] == ["stop workers", "stop relay", "stop broker"]


async def test_a_periodic_task_runs_at_once_reports_its_health_and_stops() -> None:
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    lifecycle = Lifecycle()
    lifecycle.add("expiry", PeriodicWorker(PeriodicTask("expiry", 3600, work)))
    assert lifecycle.health() == {}
    await lifecycle.start()
    await asyncio.wait_for(ran.wait(), timeout=5)
    assert lifecycle.health() == {"expiry": True}
    await lifecycle.stop()
    assert lifecycle.health() == {}
