"""The programme's story, run in-process: four services on loopback, driven over real HTTP.

Agencies register, an MoU is drafted and signed by every party, a mall is planned, opened,
gets a counter and is inaugurated. Tests that need every kind of event (schemas, traces) use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from services.agency.bootstrap import build_app as build_agency
from services.mall.bootstrap import build_app as build_mall
from services.mou.bootstrap import build_app as build_mou
from services.notify.bootstrap import build_app as build_notify
from shared.storage import Storage
from tests.support.broker import SERVICE_QUEUES, delete_queues
from tests.support.servers import RunningService, run_service, service_settings, until_answered
from tests.support.webhooks import notify_settings


@dataclass
class Platform:
    agency: RunningService
    mou: RunningService
    mall: RunningService
    notify: RunningService


@asynccontextmanager
async def running_platform(
    storages: dict[str, Storage], **settings: Any
) -> AsyncIterator[Platform]:
    """The four services in this process, each with its store, on the run's vhost."""
    await delete_queues(SERVICE_QUEUES)
    async with AsyncExitStack() as stack:
        services = {}
        for name, build in (("agency", build_agency), ("mou", build_mou), ("mall", build_mall)):
            services[name] = await stack.enter_async_context(
                run_service(build, service_settings(**settings), storages[name])
            )
        services["notify"] = await stack.enter_async_context(
            run_service(build_notify, notify_settings(**settings), storages["notify"])
        )
        yield Platform(**services)


async def _created(call: Awaitable[httpx.Response]) -> dict[str, Any]:
    answer = await call
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


async def _until_created(call: Callable[[], Awaitable[httpx.Response]]) -> dict[str, Any]:
    """Repeat until 201: projections learn of agencies and MoUs from events, not at once."""
    return dict((await until_answered(call)).json())


async def run_the_programme(platform: Platform) -> dict[str, str]:
    """The story from agencies to an inaugurated mall; returns the ids it created."""
    agency, mou, mall = platform.agency, platform.mou, platform.mall
    auth = agency.headers
    panrb = await _created(agency.client.post("/agencies", headers=auth, json={
        "code": "KEMENPANRB", "kind": "ministry", "name": "Kementerian PANRB"}))  # fmt: skip
    kumham = await _created(agency.client.post("/agencies", headers=auth, json={
        "code": "KEMENKUMHAM", "kind": "ministry", "name": "Kementerian Hukum dan HAM",
        "services": [{"code": "PASPOR", "name": "Permohonan paspor"}]}))  # fmt: skip
    parties = [{"agency_id": panrb["id"]}, {"agency_id": kumham["id"]}]
    drafted = await _until_created(lambda: mou.client.post("/mous", headers=auth, json={
        "title": "Nota Kesepahaman Mal Pelayanan Publik", "parties": parties}))  # fmt: skip
    mou_id = drafted["id"]
    for i, party in enumerate((panrb, kumham)):
        await _created(mou.client.post(f"/mous/{mou_id}/signatures", headers=auth, json={
            "agency_id": party["id"], "signatory_name": f"Signatory {party['code']}",
            "signatory_title": "Menteri", "signed_at": f"2022-06-28T03:0{i}:00Z"}))  # fmt: skip
    planned = await _created(mall.client.post("/malls", headers=auth, json={
        "name": "MPP Kabupaten Sanggau", "address": "Jl. Jenderal Sudirman, Sanggau",
        "region": {"province_code": "61", "regency_code": "61.03",
                   "regency_name": "Kabupaten Sanggau"}}))  # fmt: skip
    mall_id = planned["id"]
    await _created(mall.client.post(f"/malls/{mall_id}/open", headers=auth,
                                    json={"opened_at": "2020-12-10T01:00:00Z"}))  # fmt: skip
    await _until_created(lambda: mall.client.post(f"/malls/{mall_id}/counters", headers=auth,
        json={"agency_id": kumham["id"], "services": ["PASPOR"]}))  # fmt: skip
    await _created(mall.client.post(f"/malls/{mall_id}/inaugurate", headers=auth, json={
        "inaugurated_at": "2022-05-24T02:00:00Z", "inaugurated_by": "Menteri PANRB"}))  # fmt: skip
    return {"panrb": panrb["id"], "kumham": kumham["id"], "mou": mou_id, "mall": mall_id}
