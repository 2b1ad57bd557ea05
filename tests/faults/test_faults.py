"""The fault suite: each case disturbs a running agency -> broker -> notify -> webhook pipeline
and counts, at the subscriber, what was lost, duplicated and how fast it recovered.

The same cases print their table with ``python -m benchmarks.faults`` (README "Faults").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.faults import cases
from benchmarks.faults.report import CaseResult, table
from tests.faults.expectations import recovered_in_time
from tests.support import rabbit_nodes

pytestmark = [pytest.mark.faults, pytest.mark.broker]

RECOVER_WITHIN = 15.0


def _report(results: list[CaseResult]) -> dict[str, CaseResult]:
    print("\n" + table(results))
    return {r.case: r for r in results}


def _recovered_without_loss(result: CaseResult) -> None:
    assert result.sent > 0
    assert result.lost == 0, result
    assert result.recover_seconds is not None, result


def _recovered_whole_and_once(result: CaseResult) -> None:
    """Nothing lost, nothing delivered twice, and the subscriber whole again."""
    _recovered_without_loss(result)
    assert result.duplicated == 0, result


def _recovered_in_time(*results: CaseResult) -> None:
    recovered_in_time(RECOVER_WITHIN, *results)


async def test_poison_and_failing_hanging_and_gone_receivers(rabbitmq: str, tmp_path: Path) -> None:
    by_case = _report(await cases.webhook_and_poison_cases(rabbitmq, tmp_path))
    poison = by_case["poison messages (3) among valid events"]
    _recovered_whole_and_once(poison)
    assert poison.note.startswith("3 poison"), poison.note
    failing = by_case["receiver answers 500 for a while"]
    _recovered_whole_and_once(failing)
    _recovered_without_loss(by_case["receiver hangs past notify's 2 s timeout"])
    _recovered_in_time(poison, failing)
    gone = by_case["receiver answers 410 Gone"]
    assert gone.received <= 6, "nothing after the 410 but the one answered 410 is delivered"


async def test_a_service_sigtermed_loses_nothing_and_a_sigkill_loses_only_by_design(
    rabbitmq: str, tmp_path: Path
) -> None:
    by_case = _report(await cases.service_cases(rabbitmq, tmp_path))
    sigterm = by_case["agency SIGTERMed mid-flight, restarted"]
    _recovered_whole_and_once(sigterm)
    assert sigterm.note.startswith("stopped gracefully;"), sigterm.note
    sigkill = by_case["agency SIGKILLed mid-stream, restarted"]
    assert sigkill.duplicated == 0
    assert sigkill.recover_seconds is not None and sigkill.recover_seconds < 30
    assert sigkill.lost <= 2, "at most what was committed but not yet published dies"


async def test_a_cut_broker_connection_loses_nothing(rabbitmq: str, tmp_path: Path) -> None:
    [cut] = _report(await cases.broker_cut_case(rabbitmq, tmp_path)).values()
    _recovered_whole_and_once(cut)
    _recovered_in_time(cut)


@pytest.mark.skipif(rabbit_nodes.available() is not None, reason=str(rabbit_nodes.available()))
async def test_a_broker_stopped_or_killed_mid_stream_loses_nothing(tmp_path: Path) -> None:
    stopped, killed = _report(await cases.own_broker_cases(tmp_path)).values()
    for result in (stopped, killed):
        _recovered_whole_and_once(result)
    _recovered_in_time(stopped, killed)
