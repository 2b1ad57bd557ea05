"""HEAD, conditional GET (304) and If-Match as RFC 9110 says, in process with no broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.agency.bootstrap import build_app
from shared.storage import Storage
from tests.support.inprocess import run_in_process
from tests.support.notify_in_process import notify_in_process
from tests.support.servers import RunningService

BNN = {"code": "BNN", "name": "Badan Narkotika Nasional", "kind": "agency"}


@pytest.fixture
async def agency(agency_storage: Storage) -> AsyncIterator[RunningService]:
    async with run_in_process(build_app, storage=agency_storage) as running:
        yield running


async def _register(svc: RunningService) -> str:
    answer = await svc.client.post("/agencies", json=BNN, headers=svc.headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_head_answers_every_get_route_with_the_get_headers_and_no_body(
    agency: RunningService,
) -> None:
    agency_id = await _register(agency)
    paths = ["/agencies", f"/agencies/{agency_id}", "/healthz", "/readyz", "/openapi.json"]
    for path in paths:
        got = await agency.client.get(path)
        head = await agency.client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("etag") == got.headers.get("etag"), path
    missing = await agency.client.head("/agencies/nope")
    assert missing.status_code == 404
    assert missing.content == b""


async def test_a_write_route_still_refuses_head(agency: RunningService) -> None:
    answer = await agency.client.head(f"/agencies/{await _register(agency)}/deactivate")
    assert answer.status_code == 405


async def test_if_none_match_with_the_current_etag_answers_304_without_a_body(
    agency: RunningService,
) -> None:
    path = f"/agencies/{await _register(agency)}"
    for condition in ['"1"', 'W/"1"', '"7", "1"', "*"]:
        answer = await agency.client.get(path, headers={"If-None-Match": condition})
        assert answer.status_code == 304, condition
        assert answer.content == b""
        assert answer.headers["etag"] == '"1"'
        assert "content-type" not in answer.headers
    head = await agency.client.head(path, headers={"If-None-Match": '"1"'})
    assert head.status_code == 304


async def test_if_none_match_with_a_stale_etag_answers_the_new_representation(
    agency: RunningService,
) -> None:
    path = f"/agencies/{await _register(agency)}"
    changed = await agency.client.patch(path, json={"name": "BNN RI"}, headers=agency.headers)
    assert changed.headers["etag"] == '"2"'
    answer = await agency.client.get(path, headers={"If-None-Match": '"1"'})
    assert answer.status_code == 200
    assert answer.json()["name"] == "BNN RI"


async def test_if_match_compares_strongly_so_a_weak_etag_is_412(agency: RunningService) -> None:
    path = f"/agencies/{await _register(agency)}"
    headers = {**agency.headers, "If-Match": 'W/"1"'}
    answer = await agency.client.patch(path, json={"name": "Changed"}, headers=headers)
    assert answer.status_code == 412
    assert answer.json()["current_version"] == 1
    assert (await agency.client.get(path)).json()["name"] == BNN["name"]


async def test_an_if_match_list_is_evaluated_tag_by_tag(agency: RunningService) -> None:
    path = f"/agencies/{await _register(agency)}"
    stale = {**agency.headers, "If-Match": '"5", "6"'}
    refused = await agency.client.patch(path, json={"name": "Refused"}, headers=stale)
    assert refused.status_code == 412
    listed = {**agency.headers, "If-Match": '"5", W/"0", "1"'}
    accepted = await agency.client.patch(path, json={"name": "Accepted"}, headers=listed)
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["etag"] == '"2"'


async def test_a_malformed_if_match_is_a_problem_naming_the_header(
    agency: RunningService,
) -> None:
    path = f"/agencies/{await _register(agency)}"
    headers = {**agency.headers, "If-Match": '"1'}
    answer = await agency.client.patch(path, json={"name": "x"}, headers=headers)
    assert answer.status_code == 422
    assert "If-Match" in answer.text


async def test_head_on_the_live_feed_answers_at_once_and_ends_the_stream(
    notify_storage: Storage,
) -> None:
    async with notify_in_process(notify_storage) as notify:
        answer = await asyncio.wait_for(notify.client.head("/events/stream"), timeout=10)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.content == b""
        assert (await notify.client.get("/healthz")).status_code == 200
