"""The whole system as an operator drives it: four processes, the real RabbitMQ, only HTTP.

Agencies register, an MoU is drafted and signed by every party, a mall is planned, opened,
gets counters and is inaugurated. A real webhook receiver verifies every delivery's signature
and gets exactly the subscribed events, in order per subject; the SSE feed shows what the event
log holds; the mall statistics and the event log agree with what was done.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from typing import Any

import httpx
import pytest

from shared.events.patterns import matches_any
from tests.support.broker import SERVICE_QUEUES, delete_queues
from tests.support.eventually import eventually
from tests.support.notify import deliveries
from tests.support.processes import System, exit_codes, running_system
from tests.support.reference import reference_agency
from tests.support.servers import API_KEY, until_answered
from tests.support.sse import SseReader
from tests.support.webhooks import WebhookReceiver

pytestmark = pytest.mark.broker

AUTH = {"Authorization": f"Bearer {API_KEY}"}
SUBSCRIBED = ["mall.inaugurated", "mou.*"]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    asyncio.run(delete_queues(SERVICE_QUEUES))
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    with running_system(log_dir) as running:
        yield running
    # Uvicorn re-raises SIGTERM once its graceful shutdown is done, hence -15 as well as 0.
    assert all(code in (0, -15) for code in exit_codes(running).values()), exit_codes(running)
    for service in running.services.values():
        assert '"event": "service.stopped"' in service.log(), f"{service.name} stopped gracefully"


async def _created(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    answered = await response
    assert answered.status_code in (200, 201), answered.text
    return dict(answered.json())


async def test_the_programme_end_to_end(system: System) -> None:
    agency = httpx.AsyncClient(base_url=system.url("agency"), headers=AUTH, timeout=10)
    mou = httpx.AsyncClient(base_url=system.url("mou"), headers=AUTH, timeout=10)
    mall = httpx.AsyncClient(base_url=system.url("mall"), headers=AUTH, timeout=10)
    notify = httpx.AsyncClient(base_url=system.url("notify"), headers=AUTH, timeout=10)
    async with agency, mou, mall, notify, WebhookReceiver() as receiver:
        subscription = await _created(
            notify.post(
                "/subscriptions",
                json={"url": receiver.url, "event_types": SUBSCRIBED, "description": "e2e"},
            )
        )
        receiver.trust(subscription["secret"])

        async with SseReader(notify, "/events/stream") as feed:
            assert feed.status_code == 200

            # Agencies: three MoU parties and a regency's own civil-registry office.
            panrb, kumham, bpjs = [
                await _created(agency.post("/agencies", json=reference_agency(code)))
                for code in ("KEMENPANRB", "KEMENKUMHAM", "BPJSKES")
            ]
            dukcapil = await _created(agency.post("/agencies", json={
                "code": "DISDUKCAPIL_SANGGAU", "kind": "local_government",
                "name": "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sanggau",
                "services": [{"code": "KTP", "name": "e-KTP"}]}))  # fmt: skip
            parties = [panrb, kumham, bpjs]

            # The MoU: drafted once the MoU service has heard of every party, then signed.
            drafted = await until_answered(
                lambda: mou.post("/mous", json={
                    "title": "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik"
                             " pada Mal Pelayanan Publik",
                    "parties": [{"agency_id": p["id"]} for p in parties]}),
            )  # fmt: skip
            mou_id = drafted.json()["id"]
            await _created(
                mou.post(f"/mous/{mou_id}/schedule", json={"signing_at": "2022-06-28T02:00:00Z"})
            )
            for i, party in enumerate(parties):
                await _created(mou.post(
                    f"/mous/{mou_id}/signatures",
                    json={"agency_id": party["id"], "signatory_name": f"Signatory {party['code']}",
                          "signatory_title": "Menteri", "signed_at": f"2022-06-28T03:0{i}:00Z"},
                    headers={"X-Request-ID": f"e2e-sign-{party['code']}"},
                ))  # fmt: skip
            await _created(mou.post(f"/mous/{mou_id}/team-members", json={
                "agency_id": panrb["id"], "name": "Deputi Bidang Pelayanan Publik",
                "role": "Ketua"}))  # fmt: skip
            assert (await mou.get(f"/mous/{mou_id}")).json()["status"] == "signed"

            # The mall: planned, opened, scheduled, counters, inaugurated.
            sanggau = await _created(mall.post("/malls", json={
                "name": "MPP Kabupaten Sanggau", "address": "Jl. Jenderal Sudirman, Sanggau",
                "region": {"province_code": "61", "regency_code": "61.03",
                           "regency_name": "Kabupaten Sanggau"}}))  # fmt: skip
            mall_id = sanggau["id"]
            await _created(
                mall.post(f"/malls/{mall_id}/open", json={"opened_at": "2020-12-10T01:00:00Z"})
            )
            await _created(
                mall.post(
                    f"/malls/{mall_id}/inauguration", json={"scheduled_for": "2022-05-24T02:00:00Z"}
                )
            )
            await until_answered(lambda: mall.post(
                f"/malls/{mall_id}/counters", json={"agency_id": kumham["id"], "services": ["PASPOR"]}))  # fmt: skip
            await until_answered(lambda: mall.post(
                f"/malls/{mall_id}/counters", json={"agency_id": dukcapil["id"], "services": ["KTP"]}))  # fmt: skip
            await _created(mall.post(f"/malls/{mall_id}/inaugurate", json={
                "inaugurated_at": "2022-05-24T02:00:00Z", "inaugurated_by": "Menteri PANRB"}))  # fmt: skip

            # Every event the scenario caused, as the notifier logged them.
            expected_count = 4 + 7 + 6  # agency.registered x4; 7 mou events; 6 mall events

            async def logged() -> list[dict[str, Any]]:
                items = (await notify.get("/events", params={"limit": 500})).json()["items"]
                return [e for e in items if e["event"]["subject"] in
                        {*(p["id"] for p in [*parties, dukcapil]), mou_id, mall_id}]  # fmt: skip

            log = await eventually(
                logged, until=lambda found: len(found) >= expected_count, timeout=30, every=0.2
            )
            types = [entry["event"]["type"] for entry in log]
            assert types.count("agency.registered") == 4
            assert [t for t in types if t.startswith("mou.")] == [
                "mou.drafted", "mou.signing_scheduled", "mou.party_signed", "mou.party_signed",
                "mou.party_signed", "mou.signed", "mou.team_member_added",
            ]  # fmt: skip
            assert [t for t in types if t.startswith("mall.")] == [
                "mall.planned", "mall.opened", "mall.inauguration_scheduled",
                "mall.counter_opened", "mall.counter_opened", "mall.inaugurated",
            ]  # fmt: skip

            # Webhooks: exactly the subscribed events, each verified, in order per subject.
            wanted = [e["event"] for e in log if matches_any(SUBSCRIBED, e["event"]["type"])]
            await receiver.wait_for(lambda r: r.accepted, count=len(wanted), timeout=30)
            # Notify stored each delivery as done after one attempt: nothing more is on its way.
            stored = await eventually(
                lambda: deliveries(notify, subscription["id"]),
                until=lambda found: (
                    len(found) >= len(wanted) and all(d["status"] == "succeeded" for d in found)
                ),
                timeout=30,
            )
            assert sorted(d["event_id"] for d in stored) == sorted(e["id"] for e in wanted)
            assert all(d["attempt_count"] == 1 for d in stored), stored
            ours = [r for r in receiver.received if r.event["id"] in {e["id"] for e in wanted}]
            assert all(r.verified for r in ours), [r.verification_error for r in ours]
            assert sorted(r.event["id"] for r in ours) == sorted(e["id"] for e in wanted)
            assert len(receiver.received) == len(wanted)
            for subject in (mou_id, mall_id):
                assert [r.event["id"] for r in ours if r.event["subject"] == subject] == [
                    e["id"] for e in wanted if e["subject"] == subject
                ]
            assert all(r.webhook_id == r.event["id"] for r in ours)

            # The live feed shows the same events, with the log's positions as ids.
            messages = await feed.wait_for(
                lambda m: m.id in {str(e["position"]) for e in log}, count=len(log), timeout=20
            )
            shown = {m.id: (m.event, m.json()["id"]) for m in messages}
            assert shown == {
                str(e["position"]): (e["event"]["type"], e["event"]["id"]) for e in log
            }

        # The statistics agree with what was done.
        stats = (await mall.get("/malls/stats")).json()
        assert stats["total"] == 1
        assert stats["by_status"]["inaugurated"] == 1
        assert stats["counters"] == 2
        assert stats["agencies"] == 2

    # The correlation id of the last signature travelled: request -> mou.signed -> the mall's log.
    signed = next(e["event"] for e in log if e["event"]["type"] == "mou.signed")
    assert signed["correlationid"] == "e2e-sign-BPJSKES"
    mall_log = [json.loads(line) for line in system.services["mall"].log().splitlines()
                if line.startswith("{")]  # fmt: skip
    assert any(
        line.get("correlation_id") == "e2e-sign-BPJSKES" and line.get("event_type") == "mou.signed"
        for line in mall_log
    )
