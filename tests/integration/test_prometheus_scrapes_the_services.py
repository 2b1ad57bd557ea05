"""A real Prometheus (Debian's package) scrapes services on loopback and loads our alert rules.

Prometheus runs on a port and in a data folder of its own, scraping every second; the test
queries it over its HTTP API, as Grafana would.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.agency.bootstrap import build_app as build_agency
from services.mall.bootstrap import build_app as build_mall
from services.mou.bootstrap import build_app as build_mou
from shared.messaging.topology import MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE, MOU_AGENCIES_QUEUE
from shared.storage import Storage
from tests.support.broker import delete_queues
from tests.support.eventually import eventually
from tests.support.processes import free_port
from tests.support.reference_malls import SANGGAU
from tests.support.servers import run_service

pytestmark = pytest.mark.broker

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"


def _dashboard_queries(name: str) -> list[str]:
    dashboard = json.loads((DASHBOARDS / f"{name}.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _config(targets: list[str]) -> str:
    quoted = ", ".join(f'"{target}"' for target in targets)
    return (
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f'rule_files: ["{ALERTS}"]\n'
        "scrape_configs:\n"
        f"  - {{job_name: mpp, static_configs: [{{targets: [{quoted}]}}]}}\n"
    )


@pytest.fixture
async def prometheus(tmp_path: Path) -> AsyncIterator[Any]:
    """Start Prometheus later, once the targets' ports are known: ``await start(targets)``."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: scripts/_setup.sh installs Debian's package")
    processes: list[asyncio.subprocess.Process] = []

    async def start(targets: list[str]) -> httpx.AsyncClient:
        (tmp_path / "prometheus.yml").write_text(_config(targets))
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=(tmp_path / "prometheus.log").open("wb"),
            stderr=asyncio.subprocess.STDOUT,
        )
        processes.append(process)
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)

        async def ready() -> bool:
            if process.returncode is not None:
                pytest.fail(f"Prometheus exited: {(tmp_path / 'prometheus.log').read_text()}")
            try:
                return (await client.get("/-/ready")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout=30, every=0.1, what="Prometheus ready")
        return client

    yield start
    for process in processes:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def _query_until(client: httpx.AsyncClient, query: str, expected: float) -> None:
    """Poll an instant query until it returns ``expected`` (scrapes come every second)."""

    async def result() -> Any:
        answer = (await client.get("/api/v1/query", params={"query": query})).json()
        return answer["data"]["result"]

    await eventually(
        result,
        until=lambda last: bool(last) and float(last[0]["value"][1]) == expected,
        timeout=30,
        every=0.5,
        what=f"{query} == {expected}",
    )


async def test_prometheus_scrapes_what_the_dashboards_show_and_loads_the_alerts(
    rabbitmq: str,
    mall_storage: Storage,
    agency_storage: Storage,
    mou_storage: Storage,
    prometheus: Any,
) -> None:
    await delete_queues([MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE, MOU_AGENCIES_QUEUE])
    async with (
        run_service(build_mall, storage=mall_storage) as mall,
        run_service(build_agency, storage=agency_storage) as agency,
        run_service(build_mou, storage=mou_storage) as mou,
    ):
        planned = await mall.client.post("/malls", json=SANGGAU.create_body(), headers=mall.headers)
        assert planned.status_code == 201, planned.text
        targets = [svc.base_url.removeprefix("http://") for svc in (mall, agency, mou)]
        client = await prometheus(targets)
        try:
            await _query_until(client, 'count(up{job="mpp"} == 1)', 3)
            await _query_until(
                client, 'mpp_malls{status="planned", province="Kalimantan Barat"}', 1
            )
            await _query_until(client, 'mpp_service_ready{service="agency"}', 1)
            rules = (await client.get("/api/v1/rules")).json()["data"]["groups"]
            names = {rule["name"] for group in rules for rule in group["rules"]}
            assert {"MppDeadLetterQueueNotEmpty", "MppServiceNotReady"} <= names
            assert all(r["health"] == "ok" for g in rules for r in g["rules"]), rules
            await _every_dashboard_query_runs(client)
        finally:
            await client.aclose()


async def _every_dashboard_query_runs(client: httpx.AsyncClient) -> None:
    """Every panel's query parses; every programme panel has data (no database involved)."""
    for name in ("platform", "programme"):
        for query in _dashboard_queries(name):
            answer = (await client.get("/api/v1/query", params={"query": query})).json()
            assert answer["status"] == "success", (query, answer)
            if name == "programme":
                assert answer["data"]["result"], f"no data for {query}"


async def test_the_mou_service_reports_mous_in_force_and_its_readiness_in_metrics(
    rabbitmq: str, mou_storage: Storage
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    async with run_service(build_mou, storage=mou_storage) as mou:
        text = (await mou.client.get("/metrics")).text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("mpp_mous_in_force", (("service", "mou"),))] == 0
    assert samples[("mpp_service_ready", (("service", "mou"),))] == 1
    assert samples[("mpp_dependency_up", (("dependency", "broker"), ("service", "mou")))] == 1
