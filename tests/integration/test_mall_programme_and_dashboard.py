"""Regions, the timeline and the dashboard over real HTTP with no broker; the live feed relayed
from a real notify consuming the real broker (that one test runs the mall on the broker too)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.mall.bootstrap import build_app
from services.mall.container import MallContainer
from shared.messaging.topology import MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE
from shared.storage import Storage
from tests.support.broker import delete_queues
from tests.support.eventually import eventually
from tests.support.inprocess import run_in_process
from tests.support.notify import metric, running_notify
from tests.support.servers import RunningService, run_service, serve


@pytest.fixture
async def mall(mall_storage: Storage) -> AsyncIterator[RunningService]:
    async with run_in_process(build_app, storage=mall_storage, loopback=True) as running:
        yield running


@pytest.fixture
async def mall_on_the_broker(rabbitmq: str, mall_storage: Storage) -> AsyncIterator[RunningService]:
    await delete_queues([MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE])
    async with run_service(build_app, storage=mall_storage) as running:
        yield running


async def _mall(
    svc: RunningService, code: str, *, inaugurated: str | None = None, opened: str | None = None
) -> dict[str, Any]:
    body = {"name": f"MPP {code}", "region": {"province_code": code[:2], "regency_code": code}}
    created = await svc.client.post("/malls", json=body, headers=svc.headers)
    assert created.status_code == 201, created.text
    mall: dict[str, Any] = created.json()
    if opened:
        answer = await svc.client.post(
            f"/malls/{mall['id']}/open", json={"opened_at": opened}, headers=svc.headers
        )
        mall = answer.json()
    if inaugurated:
        answer = await svc.client.post(
            f"/malls/{mall['id']}/inaugurate",
            json={"inaugurated_at": inaugurated, "inaugurated_by": "Menteri PANRB"},
            headers=svc.headers,
        )
        assert answer.status_code == 200, answer.text
        mall = answer.json()
    return mall


async def test_a_regency_code_kemendagri_does_not_list_is_422_naming_the_field(
    mall: RunningService,
) -> None:
    body = {"name": "MPP Nowhere", "region": {"province_code": "61", "regency_code": "61.99"}}
    answer = await mall.client.post("/malls", json=body, headers=mall.headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == "region.regency_code"
    assert (await mall.client.get("/malls")).json()["items"] == []


async def test_a_mall_and_its_event_carry_the_official_names(mall: RunningService) -> None:
    created = await _mall(mall, "61.71")
    assert created["region"] == {
        "province_code": "61",
        "province_name": "Kalimantan Barat",
        "regency_code": "61.71",
        "regency_name": "Kota Pontianak",
    }


async def test_regions_of_a_province_say_which_have_a_mall(mall: RunningService) -> None:
    await _mall(mall, "61.03", inaugurated="2022-05-24T03:00:00Z")
    answer = await mall.client.get("/regions", params={"province": "61"})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert len(items) == 14
    by_code = {item["code"]: item for item in items}
    assert by_code["61.03"] == {"code": "61.03", "name": "Kabupaten Sanggau", "has_mall": True}
    assert by_code["61.71"] == {"code": "61.71", "name": "Kota Pontianak", "has_mall": False}

    provinces = (await mall.client.get("/regions")).json()["items"]
    assert len(provinces) == 38
    assert [p["code"] for p in provinces if p["has_mall"]] == ["61"]

    unknown = await mall.client.get("/regions", params={"province": "99"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "province"


async def test_the_timeline_counts_by_month_and_year_from_the_earliest_date(
    mall: RunningService,
) -> None:
    await _mall(mall, "35.78", inaugurated="2017-10-06T03:00:00Z")
    await _mall(mall, "61.03", opened="2020-12-10T02:00:00Z", inaugurated="2022-05-24T03:00:00Z")
    answer = await mall.client.get("/malls/stats/timeline")
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    months = {m["period"]: m for m in timeline["months"]}
    assert timeline["months"][0]["period"] == "2017-10"
    assert months["2017-10"]["inaugurated"] == 1 and months["2017-10"]["serving"] == 1
    assert months["2020-12"]["opened"] == 1
    assert months["2020-12"]["by_status"] == {
        "planned": 0, "operating": 1, "inaugurated": 1, "closed": 0
    }  # fmt: skip
    years = {y["period"]: y for y in timeline["years"]}
    assert years["2022"]["inaugurated"] == 1 and years["2022"]["serving"] == 2


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', page)
    assert found, f"no figure {name} in the page"
    return found.group(1)


async def test_the_dashboard_is_rendered_on_the_server_with_the_apis_figures(
    mall: RunningService,
) -> None:
    await _mall(mall, "35.78", inaugurated="2017-10-06T03:00:00Z")
    await _mall(mall, "61.03", opened="2020-12-10T02:00:00Z")
    await _mall(mall, "61.71")
    answer = await mall.client.get("/dashboard")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    stats = (await mall.client.get("/malls/stats")).json()
    assert _figure(page, "total") == str(stats["total"]) == "3"
    serving = stats["by_status"]["operating"] + stats["by_status"]["inaugurated"]
    assert _figure(page, "serving") == str(serving) == "2"
    assert _figure(page, "provinces") == str(len(stats["by_province"])) == "2"
    assert _figure(page, "mous-in-force") == "0"
    assert _figure(page, "timeline-from") == "2017-10"
    assert re.search(r'data-province="61".*?data-count>2<', page, re.S)
    assert '<script src="/dashboard/static/live.js"' in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing from elsewhere
    script = await mall.client.get("/dashboard/static/live.js")
    assert script.status_code == 200 and "EventSource" in script.text
    assert (await mall.client.get("/dashboard/static/other.js")).status_code == 404


async def _first_frame(client: httpx.AsyncClient, wanted: str) -> dict[str, str]:
    async with client.stream("GET", "/dashboard/feed") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        frame: dict[str, str] = {}
        async for line in stream.aiter_lines():
            if line:
                name, _, value = line.partition(": ")
                frame[name] = value
            elif frame.get("event") == wanted:
                return frame
            else:
                frame = {}
    raise AssertionError("the feed ended")


async def test_the_feed_relays_notifys_events_unchanged(
    mall_on_the_broker: RunningService, notify_storage: Storage
) -> None:
    mall = mall_on_the_broker
    async with running_notify(notify_storage) as notify:
        mall.container(MallContainer).dashboard.mpp_notify_url = notify.base_url
        streams = await metric(notify, "mpp_notify_open_streams")
        waiting = asyncio.create_task(_first_frame(mall.client, "mall.planned"))
        # The relay is connected: its stream starts at the log's end from then on.
        await eventually(
            lambda: metric(notify, "mpp_notify_open_streams"), until=lambda n: n > streams
        )
        planned = await _mall(mall, "63.06")
        frame = await asyncio.wait_for(waiting, timeout=60)
    assert frame["id"].isdigit()
    cloudevent = json.loads(frame["data"])
    assert cloudevent["type"] == "mall.planned"
    assert cloudevent["subject"] == planned["id"]
    assert cloudevent["data"]["region"]["regency_name"] == "Kabupaten Hulu Sungai Selatan"


async def test_the_feed_is_503_when_notify_cannot_be_reached(mall: RunningService) -> None:
    mall.container(MallContainer).dashboard.mpp_notify_url = "http://127.0.0.1:9"
    answer = await mall.client.get("/dashboard/feed")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_last_event_id_that_is_not_a_log_position_is_422_naming_it(
    mall: RunningService,
) -> None:
    mall.container(MallContainer).dashboard.mpp_notify_url = "http://127.0.0.1:9"  # never reached
    for value in (b"abc", b"-1", "\u0663".encode()):  # ARABIC-INDIC DIGIT THREE, as UTF-8
        answer = await mall.client.get("/dashboard/feed", headers={b"Last-Event-ID": value})
        assert answer.status_code == 422, (value, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "Last-Event-ID" in answer.text


async def test_a_feed_request_notify_refuses_is_relayed_as_its_4xx_not_a_503(
    mall: RunningService,
) -> None:
    refusing = FastAPI()

    @refusing.get("/events/stream")
    async def stream() -> JSONResponse:
        problem = {"title": "Invalid request", "status": 422, "detail": "types: no such type"}
        return JSONResponse(problem, status_code=422, media_type="application/problem+json")

    async with serve(refusing) as notify:
        mall.container(MallContainer).dashboard.mpp_notify_url = notify.base_url
        answer = await mall.client.get("/dashboard/feed", params={"types": "nonsense"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "types: no such type"


async def test_the_dashboard_asks_the_browser_for_nothing_the_service_cannot_serve(
    mall: RunningService,
) -> None:
    page = (await mall.client.get("/dashboard")).text
    # without an icon of its own, every browser asks for /favicon.ico: a 404 in its console
    assert re.search(r'<link rel="icon" href="data:', page)
    for url in re.findall(r'(?:href|src)="(/[^"]*)"', page):
        assert (await mall.client.get(url)).status_code == 200, url
