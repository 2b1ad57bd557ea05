"""The mall service over the real RabbitMQ: agencies from the agency service, MoUs in force
from ``mou.*`` events, and what the mall publishes on ``mpp.events``.

The first tests publish ``mou.signed`` / ``mou.terminated`` onto ``mpp.events`` as the MoU
service does; the last runs the real MoU service end to end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.agency.bootstrap import build_app as build_agency_app
from services.mall.bootstrap import build_app as build_mall_app
from services.mall.container import MallContainer
from services.mou.container import MouContainer
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.messaging.topology import MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE, MOU_AGENCIES_QUEUE
from shared.projections.agencies import AgencyDirectory
from shared.storage import Storage
from tests.support.broker import EventTap, Received, delete_queues, publish_raw
from tests.support.mou_events import Party, mou_signed, mou_terminated
from tests.support.outbox import all_seen
from tests.support.projections import known_to
from tests.support.reference import MOU_2022_TITLE, reference_agency
from tests.support.reference_malls import HULU_SUNGAI_SELATAN, SANGGAU, ReferenceMall
from tests.support.servers import RunningService, run_service, until_answered

pytestmark = pytest.mark.broker

SIGNATORIES = ("KEMENPANRB", "KEMENKUMHAM", "BPJSKES", "POLRI")
DPMPTSP_SANGGAU = {
    "code": "DPMPTSP_SANGGAU",
    "name": "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kabupaten Sanggau",
    "kind": "local_government",
    "services": [{"code": "PERIZINAN", "name": "Perizinan berusaha"}],
}


@dataclass
class Services:
    agency: RunningService
    mall: RunningService


@pytest.fixture
async def services(
    rabbitmq: str, agency_storage: Storage, mall_storage: Storage
) -> AsyncIterator[Services]:
    await delete_queues([MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE])
    async with (
        run_service(build_mall_app, storage=mall_storage) as mall,
        run_service(build_agency_app, storage=agency_storage) as agency,
    ):
        yield Services(agency=agency, mall=mall)


async def _register(
    services: Services, *bodies: dict[str, Any], also_known_to: Iterable[AgencyDirectory] = ()
) -> dict[str, Party]:
    """Register agencies with the agency service; wait until the mall service (and the other
    projections listed) know them."""
    parties: dict[str, Party] = {}
    for body in bodies:
        response = await services.agency.client.post(
            "/agencies", json=body, headers=services.agency.headers
        )
        assert response.status_code == 201, response.text
        parties[body["code"]] = Party.of(response.json())
    wanted = [p.agency_id for p in parties.values()]
    for directory in (services.mall.container(MallContainer).agency_directory, *also_known_to):
        await known_to(directory, wanted)
    return parties


async def _publish(event: CloudEvent) -> None:
    await publish_raw(
        event.to_json_bytes(),
        event.type,
        content_type=CONTENT_TYPE,
        message_id=event.id,
        correlation_id=event.correlationid,
    )


async def _create(mall: RunningService, reference: ReferenceMall, request_id: str) -> str:
    response = await mall.client.post(
        "/malls",
        json=reference.create_body(),
        headers={**mall.headers, "X-Request-ID": request_id},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _post(
    mall: RunningService, path: str, body: dict[str, Any] | None = None, request_id: str = ""
) -> httpx.Response:
    headers = {**mall.headers, **({"X-Request-ID": request_id} if request_id else {})}
    return await mall.client.post(path, json=body, headers=headers)


async def _open_counter_once_the_mou_is_known(
    mall: RunningService, mall_id: str, party: Party, service: str
) -> httpx.Response:
    body = {"agency_id": party.agency_id, "services": [service]}
    # A projection catching up: refused until the mall service knows the MoU.
    return await until_answered(lambda: _post(mall, f"/malls/{mall_id}/counters", body))


def _about(mall_id: str, event_type: str) -> Callable[[Received], bool]:
    return lambda r: r.type == event_type and r.event.get("subject") == mall_id


async def test_the_may_2022_inaugurations_are_recorded_and_reach_mpp_events_with_the_region(
    services: Services,
) -> None:
    mall = services.mall
    parties = await _register(services, *(reference_agency(c) for c in SIGNATORIES))
    await _publish(mou_signed("mou_2022", list(parties.values()), version=18))

    async with EventTap(["mall.#"]) as tap:
        # Kabupaten Sanggau: operating since 2020-12-10, inaugurated on 2022-05-24.
        sanggau = await _create(mall, SANGGAU, "seed-sanggau")
        base = f"/malls/{sanggau}"
        opened = await _post(mall, f"{base}/open", {"opened_at": "2020-12-10T00:00:00+07:00"})
        assert opened.status_code == 200, opened.text
        scheduled = await _post(
            mall, f"{base}/inauguration", {"scheduled_for": "2022-05-24T09:00:00+07:00"}
        )
        assert scheduled.status_code == 200, scheduled.text
        await _open_counter_once_the_mou_is_known(mall, sanggau, parties["KEMENKUMHAM"], "PASPOR")
        await _open_counter_once_the_mou_is_known(
            mall, sanggau, parties["BPJSKES"], "PENDAFTARAN_JKN"
        )
        inaugurated = await _post(
            mall,
            f"{base}/inaugurate",
            {"inaugurated_at": "2022-05-24T09:00:00+07:00", "inaugurated_by": "Bupati Sanggau"},
            request_id="peresmian-sanggau",
        )
        assert inaugurated.status_code == 200, inaugurated.text

        # Kabupaten Hulu Sungai Selatan: inaugurated on 2022-05-31 straight from planned.
        hss = await _create(mall, HULU_SUNGAI_SELATAN, "seed-hss")
        await _open_counter_once_the_mou_is_known(mall, hss, parties["POLRI"], "SKCK")
        inaugurated = await _post(
            mall,
            f"/malls/{hss}/inaugurate",
            {"inaugurated_at": "2022-05-31", "inaugurated_by": "Bupati Hulu Sungai Selatan"},
        )
        assert inaugurated.status_code == 200, inaugurated.text

        [at_sanggau] = await tap.wait_for(_about(sanggau, "mall.inaugurated"))
        [at_hss] = await tap.wait_for(_about(hss, "mall.inaugurated"))
        await tap.wait_for(lambda r: r.event.get("subject") == sanggau, count=6)

    event, message = at_sanggau.event, at_sanggau.message
    assert event["source"] == "/mpp/mall"
    assert event["correlationid"] == "peresmian-sanggau"
    assert event["data"]["mall_id"] == sanggau
    assert event["data"]["name"] == "MPP Kabupaten Sanggau"
    assert event["data"]["region"] == {
        "province_code": "61",
        "province_name": "Kalimantan Barat",
        "regency_code": "61.03",
        "regency_name": "Kabupaten Sanggau",
    }
    assert event["data"]["inaugurated_at"] == "2022-05-24T02:00:00Z"
    assert event["data"]["inaugurated_by"] == "Bupati Sanggau"
    assert event["data"]["version"] == 6
    assert message.routing_key == "mall.inaugurated"
    assert message.message_id == event["id"]
    assert message.content_type == "application/cloudevents+json"
    assert message.delivery_mode == 2
    assert json.loads(message.body) == event

    assert at_hss.event["data"]["region"]["regency_code"] == "63.06"
    assert at_hss.event["data"]["region"]["province_name"] == "Kalimantan Selatan"
    assert at_hss.event["data"]["inaugurated_at"] == "2022-05-31T00:00:00Z"

    sanggau_events = [r.event for r in tap.received if r.event.get("subject") == sanggau]
    assert [e["type"] for e in sanggau_events] == [
        "mall.planned",
        "mall.opened",
        "mall.inauguration_scheduled",
        "mall.counter_opened",
        "mall.counter_opened",
        "mall.inaugurated",
    ]
    assert [e["data"]["version"] for e in sanggau_events] == [1, 2, 3, 4, 5, 6]
    assert sanggau_events[0]["correlationid"] == "seed-sanggau"
    assert all(e["data"]["region"]["regency_code"] == "61.03" for e in sanggau_events)
    assert sanggau_events[3]["data"]["counter"]["code"] == "KEMENKUMHAM"

    stats = (await mall.client.get("/malls/stats")).json()
    assert stats["by_status"]["inaugurated"] == 2
    assert (stats["counters"], stats["agencies"]) == (3, 3)


async def test_terminating_the_mou_flags_its_parties_counters_and_a_new_mou_clears_them(
    services: Services, mall_storage: Storage
) -> None:
    mall = services.mall
    parties = await _register(
        services, *(reference_agency(c) for c in SIGNATORIES), DPMPTSP_SANGGAU
    )
    signatories = [parties[c] for c in SIGNATORIES]
    kumham, bpjs, local = parties["KEMENKUMHAM"], parties["BPJSKES"], parties["DPMPTSP_SANGGAU"]

    async with EventTap(["mall.#"]) as tap:
        sanggau = await _create(mall, SANGGAU, "flags")
        hss = await _create(mall, HULU_SUNGAI_SELATAN, "flags")
        # No MoU yet: a ministry is refused, a local government is not.
        refused = await _post(
            mall,
            f"/malls/{sanggau}/counters",
            {"agency_id": kumham.agency_id, "services": ["PASPOR"]},
        )
        assert refused.status_code == 409, refused.text
        assert "not a party to any MoU in force" in refused.json()["detail"]
        local_counter = await _post(
            mall,
            f"/malls/{sanggau}/counters",
            {"agency_id": local.agency_id, "services": ["PERIZINAN"]},
        )
        assert local_counter.status_code == 201, local_counter.text

        await _publish(mou_signed("mou_2022", signatories, version=18, number="01/NK/2022"))
        await _open_counter_once_the_mou_is_known(mall, sanggau, kumham, "PASPOR")
        await _open_counter_once_the_mou_is_known(mall, sanggau, bpjs, "PENDAFTARAN_JKN")
        await _open_counter_once_the_mou_is_known(mall, hss, kumham, "PASPOR_PENGGANTIAN")

        await _publish(mou_terminated("mou_2022", signatories, version=19, number="01/NK/2022"))
        flagged = await tap.wait_for(
            lambda r: r.type == "mall.counter_flagged" and r.event["subject"] in (sanggau, hss),
            count=3,
        )
        view = (await mall.client.get(f"/malls/{sanggau}")).json()
        by_code = {c["code"]: c for c in view["counters"]}
        assert by_code["KEMENKUMHAM"]["flagged"] is True
        assert by_code["BPJSKES"]["flagged"] is True
        assert "01/NK/2022" in by_code["KEMENKUMHAM"]["flag_reason"]
        assert "terminated" in by_code["KEMENKUMHAM"]["flag_reason"]
        assert by_code["DPMPTSP_SANGGAU"]["flagged"] is False
        assert [
            c["flagged"] for c in (await mall.client.get(f"/malls/{hss}")).json()["counters"]
        ] == [True]
        assert {(r.event["subject"], r.event["data"]["code"]) for r in flagged} == {
            (sanggau, "KEMENKUMHAM"),
            (sanggau, "BPJSKES"),
            (hss, "KEMENKUMHAM"),
        }
        assert all(r.event["data"]["flagged"] is True for r in flagged)
        assert all(r.event["data"]["region"]["regency_code"] for r in flagged)

        # The MoU has ended: no new counter for its parties.
        refused = await _post(
            mall,
            f"/malls/{hss}/counters",
            {"agency_id": bpjs.agency_id, "services": ["PERUBAHAN_DATA"]},
        )
        assert refused.status_code == 409, refused.text

        # A new MoU with KEMENKUMHAM only clears its flags; BPJS Kesehatan stays flagged.
        await _publish(mou_signed("mou_2025", [parties["KEMENPANRB"], kumham], version=3))

        def clears(r: Received) -> bool:
            return (
                r.type == "mall.counter_flagged"
                and r.event["subject"] in (sanggau, hss)
                and r.event["data"]["flagged"] is False
            )

        await tap.wait_for(clears, count=2)
        await all_seen(tap, mall_storage, "malls", sanggau, hss)
        cleared = [r for r in tap.received if clears(r)]

    assert len(cleared) == 2, "each of KEMENKUMHAM's counters cleared once, nothing else"
    assert {(r.event["subject"], r.event["data"]["code"]) for r in cleared} == {
        (sanggau, "KEMENKUMHAM"),
        (hss, "KEMENKUMHAM"),
    }
    view = (await mall.client.get(f"/malls/{sanggau}")).json()
    assert {c["code"]: c["flagged"] for c in view["counters"]} == {
        "DPMPTSP_SANGGAU": False,
        "KEMENKUMHAM": False,
        "BPJSKES": True,
    }
    assert len(tap.of_type("mall.counter_flagged")) >= 5


async def test_an_mou_signed_in_the_mou_service_opens_counters_and_terminating_it_flags_them(
    rabbitmq: str, agency_storage: Storage, mou_storage: Storage, mall_storage: Storage
) -> None:
    from services.mou.bootstrap import build_app as build_mou_app
    from tests.support.mou import mou_settings

    await delete_queues([MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE, MOU_AGENCIES_QUEUE])
    async with (
        run_service(build_mall_app, storage=mall_storage) as mall,
        run_service(build_mou_app, mou_settings(), mou_storage) as mou,
        run_service(build_agency_app, storage=agency_storage) as agency,
        EventTap(["mall.#", "mou.#"]) as tap,
    ):
        services = Services(agency=agency, mall=mall)
        parties = await _register(
            services,
            *(reference_agency(c) for c in ("KEMENPANRB", "KEMENKUMHAM")),
            also_known_to=[mou.container(MouContainer).agency_directory],
        )
        panrb, kumham = parties["KEMENPANRB"], parties["KEMENKUMHAM"]
        sanggau = await _create(mall, SANGGAU, "e2e")

        drafted = await mou.client.post(
            "/mous",
            json={
                "title": MOU_2022_TITLE,
                "parties": [{"agency_id": panrb.agency_id}, {"agency_id": kumham.agency_id}],
            },
            headers=mou.headers,
        )
        assert drafted.status_code == 201, drafted.text
        mou_id = drafted.json()["id"]
        for party, signatory in ((panrb, "Menteri PANRB"), (kumham, "Menteri Hukum dan HAM")):
            signed = await mou.client.post(
                f"/mous/{mou_id}/signatures",
                json={
                    "agency_id": party.agency_id,
                    "signatory_name": signatory,
                    "signatory_title": "Menteri",
                },
                headers=mou.headers,
            )
            assert signed.status_code == 201, signed.text
        await tap.wait_for(lambda r: r.type == "mou.signed" and r.event["subject"] == mou_id)

        opened = await _open_counter_once_the_mou_is_known(mall, sanggau, kumham, "PASPOR")
        assert [c["flagged"] for c in opened.json()["counters"]] == [False]

        terminated = await mou.client.post(
            f"/mous/{mou_id}/terminate",
            json={"reason": "Diganti Nota Kesepahaman baru"},
            headers=mou.headers,
        )
        assert terminated.status_code == 200, terminated.text
        [flag] = await tap.wait_for(_about(sanggau, "mall.counter_flagged"))
        assert flag.event["data"]["code"] == "KEMENKUMHAM"
        assert flag.event["data"]["flagged"] is True
        # The flag carries the correlation id of the termination that caused it.
        [ended] = [r for r in tap.of_type("mou.terminated") if r.event["subject"] == mou_id]
        assert flag.event["correlationid"] == ended.event["correlationid"]

        [counter] = (await mall.client.get(f"/malls/{sanggau}")).json()["counters"]
        assert counter["flagged"] is True
        assert "terminated" in counter["flag_reason"]
