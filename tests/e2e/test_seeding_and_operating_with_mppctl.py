"""An operator's first hour: start the system, load the real data with mppctl, look at it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.broker import SERVICE_QUEUES, delete_queues
from tests.support.processes import ROOT, System, running_system

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    asyncio.run(delete_queues(SERVICE_QUEUES))
    with running_system(tmp_path_factory.mktemp("seed-logs")) as running:
        yield running


def mppctl(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI's module as an operator would, against ``system``."""
    return subprocess.run(
        [sys.executable, "-m", "mppctl", *args],
        cwd=ROOT,
        env={**os.environ, **system.env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_seed_loads_the_programme_and_a_second_run_changes_nothing(system: System) -> None:
    first = mppctl(system, "seed")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout + first.stderr

    second = mppctl(system, "seed")
    assert second.returncode == 0, second.stderr
    assert "Nothing changed" in second.stdout + second.stderr

    malls = mppctl(system, "malls", "list", "--json")
    assert malls.returncode == 0, malls.stderr
    by_regency = {m["region"]["regency_code"]: m for m in json.loads(malls.stdout)}
    assert by_regency["61.03"]["status"] == "inaugurated"
    assert by_regency["61.03"]["inaugurated_at"].startswith("2022-05-24")
    assert by_regency["63.06"]["status"] == "inaugurated"
    assert by_regency["63.06"]["inaugurated_at"].startswith("2022-05-31")
    assert all(c["flagged"] is False for c in by_regency["61.03"]["counters"])

    table = mppctl(system, "malls", "list")
    assert table.returncode == 0
    assert "Sanggau" in table.stdout and "Hulu Sungai Selatan" in table.stdout
    assert "2022-05-24" in table.stdout and "2022-05-31" in table.stdout

    mous = json.loads(mppctl(system, "mous", "list", "--json").stdout)
    [mou_2022] = mous
    assert mou_2022["status"] == "signed"
    assert len(mou_2022["parties"]) == 17
    assert {p["signed_at"][:10] for p in mou_2022["parties"]} == {"2022-06-28"}
    assert mou_2022["team"]

    agencies = json.loads(mppctl(system, "agencies", "list", "--json", "--limit", "100").stdout)
    codes = {a["code"] for a in agencies}
    assert {"KEMENPANRB", "KEMENDAGRI", "BPJSKES", "BPJSTK", "TASPEN", "PLN"} <= codes


def test_health_reports_every_service_ready(system: System) -> None:
    health = mppctl(system, "health", "--json")
    assert health.returncode == 0, health.stdout + health.stderr
    assert "notify" in health.stdout


def test_an_api_refusal_is_reported_with_the_problem_detail_and_exit_code_1(
    system: System,
) -> None:
    refused = mppctl(
        system, "agencies", "register", "--code", "lower", "--name", "X", "--kind", "agency"
    )
    assert refused.returncode == 1
    assert "code" in refused.stderr
    missing = mppctl(system, "agencies", "show", "agc_does_not_exist")
    assert missing.returncode == 4
