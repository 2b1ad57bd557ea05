"""Optimistic concurrency: a unit of work runs again on a concurrent modification."""

from __future__ import annotations

import pytest

from shared.bus import Command, CommandBus
from shared.errors import ConcurrentModification
from shared.unit_of_work import retry_on_conflict


class Flaky:
    """Loses ``losses`` races to another writer, then saves."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.runs = 0

    async def __call__(self, _: object = None) -> str:
        self.runs += 1
        if self.runs <= self.losses:
            raise ConcurrentModification("changed meanwhile")
        return "saved"


async def test_a_unit_of_work_runs_again_until_it_saves() -> None:
    work = Flaky(losses=2)
    assert await retry_on_conflict(work, name="test", attempts=3) == "saved"
    assert work.runs == 3


async def test_the_last_attempts_conflict_is_raised() -> None:
    work = Flaky(losses=3)
    with pytest.raises(ConcurrentModification):
        await retry_on_conflict(work, name="test", attempts=3)
    assert work.runs == 3


class Touch(Command):
    pass


async def test_the_bus_retries_a_command_that_pinned_no_version() -> None:
    handler = Flaky(losses=1)
    assert await CommandBus({Touch: handler}).handle(Touch()) == "saved"
    assert handler.runs == 2


async def test_the_bus_never_retries_a_command_pinned_with_if_match() -> None:
    handler = Flaky(losses=1)
    with pytest.raises(ConcurrentModification):
        await CommandBus({Touch: handler}).handle(Touch(expected_version=3))
    assert handler.runs == 1
