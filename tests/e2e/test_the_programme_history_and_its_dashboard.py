"""The programme's history loaded with ``mppctl seed --history`` into the four running
services, then its dashboard read in a real browser (Debian's headless Chromium, driven by
Playwright) and checked against the API's own figures.

The screenshot is kept under ``tests/artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.broker import SERVICE_QUEUES, delete_queues
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.processes import ROOT, System, running_system
from tests.support.servers import API_KEY

pytestmark = pytest.mark.broker

ARTIFACTS = ROOT / "tests" / "artifacts"


def _seed_history(system: System) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mppctl", "--json", "seed", "--history", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **system.env},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, dict[str, Any]]]:
    asyncio.run(delete_queues(SERVICE_QUEUES))
    with running_system(tmp_path_factory.mktemp("history-logs")) as system:
        first = _seed_history(system)
        assert first.returncode == 0, first.stderr[-3000:]
        yield system, json.loads(first.stdout)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _get(system: System, service: str, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{system.url(service)}{path}", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_history_puts_malls_in_at_least_30_provinces(
    seeded: tuple[System, dict[str, Any]],
) -> None:
    system, report = seeded
    stats = _get(system, "mall", "/malls/stats")
    assert len(stats["by_province"]) >= 30
    assert stats["total"] >= 299  # the record's 299 regions, the reference malls among them
    covered = [row for row in stats["coverage"] if row["regencies_with_mall"] > 0]
    assert len(covered) >= 30
    assert report["notify_lag_seconds"] >= 0  # notify's log holds the last event


def test_the_timeline_runs_from_2017(seeded: tuple[System, dict[str, Any]]) -> None:
    system, _ = seeded
    timeline = _get(system, "mall", "/malls/stats/timeline")
    assert timeline["months"][0]["period"] == "2017-10"
    assert timeline["years"][0]["period"] == "2017"
    serving = {m["period"]: m["serving"] for m in timeline["months"]}
    assert serving["2017-10"] == 3  # Banyuwangi, Surabaya (Siola) and DKI Jakarta
    assert serving["2025-12"] >= 280


def test_a_regency_code_kemendagri_does_not_list_is_refused(
    seeded: tuple[System, dict[str, Any]],
) -> None:
    system, _ = seeded
    answer = httpx.post(
        f"{system.url('mall')}/malls",
        json={"name": "MPP 61.99", "region": {"province_code": "61", "regency_code": "61.99"}},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "region.regency_code"


def test_loading_the_history_again_changes_nothing(seeded: tuple[System, dict[str, Any]]) -> None:
    system, _ = seeded
    again = _seed_history(system)
    assert again.returncode == 0, again.stderr[-3000:]
    report = json.loads(again.stdout)
    assert report["changed"] is False, [i for i in report["items"] if i["outcome"] != "present"]


def _figure(page: Page, name: str) -> str:
    text = page.locator(f'[data-figure="{name}"]').text_content()  # HTML and SVG alike
    return (text or "").strip()


def test_the_dashboard_in_a_browser_shows_the_apis_figures_and_goes_live(
    seeded: tuple[System, dict[str, Any]], browser: Browser
) -> None:
    system, _ = seeded
    stats = _get(system, "mall", "/malls/stats")
    timeline = _get(system, "mall", "/malls/stats/timeline")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{system.url('mall')}/dashboard")

    assert _figure(page, "total") == str(stats["total"])
    serving = stats["by_status"]["operating"] + stats["by_status"]["inaugurated"]
    assert _figure(page, "serving") == str(serving)
    assert _figure(page, "provinces") == str(len(stats["by_province"]))
    assert _figure(page, "mous-in-force") == "1"  # the MoU of 28 June 2022
    assert _figure(page, "timeline-from") == "2017-10"
    assert _figure(page, "timeline-serving") == str(timeline["months"][-1]["serving"])
    for status, count in stats["by_status"].items():
        assert page.locator(f'[data-status="{status}"]').inner_text() == str(count)
    shown = {
        bar.get_attribute("data-province"): int(bar.locator("[data-count]").text_content() or "")
        for bar in page.locator("g[data-province]").all()
    }
    assert shown == {p["province_code"]: p["count"] for p in stats["by_province"]}
    counts = list(shown.values())
    assert counts == sorted(counts, reverse=True)  # a sorted bar chart

    expect(page.locator("#live-state")).to_have_text("live", timeout=30_000)
    planned = httpx.post(
        f"{system.url('mall')}/malls",
        json={
            "name": "MPP Kabupaten Merauke",
            "region": {"province_code": "93", "regency_code": "93.01"},
        },
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )
    assert planned.status_code == 201, planned.text
    expect(page.locator("#live-events li").first).to_contain_text("mall.planned", timeout=60_000)
    expect(page.locator("#live-events li").first).to_contain_text("Merauke")
    expect(page.locator('[data-figure="total"]')).to_have_text(
        str(stats["total"] + 1), timeout=30_000
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.close()
