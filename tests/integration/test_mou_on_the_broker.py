"""The MoU service on the real broker: agencies in from the agency service, mou.* out.

The issue's "done when": the MoU of 28 June 2022 recorded through the API with its 17
parties, signed by all of them that day, with its working team, every step on ``mpp.events``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.mou.bootstrap import build_app as build_mou_app
from services.mou.container import MouContainer
from shared.events.catalogue import AgencyRegistered, AgencyUpdated
from shared.events.envelope import CloudEvent
from shared.storage import Storage
from tests.support.broker import EventTap, Received, publish_raw
from tests.support.mou import (
    Services,
    agency_and_mou,
    mou_settings,
    register_known,
)
from tests.support.outbox import all_seen
from tests.support.projections import known_to
from tests.support.reference import (
    MOU_2022_CODES,
    MOU_2022_PARTIES,
    MOU_2022_SIGNED_AT,
    MOU_2022_TITLE,
    reference_agency,
)
from tests.support.servers import run_service

pytestmark = pytest.mark.broker

# Illustrative people: the facts name the team, not its members.
WORKING_TEAM = [
    ("KEMENPANRB", "Rina Kusumawati", "Ketua"),
    ("KEMENDAGRI", "Agus Setiawan", "Anggota"),
    ("KEMENKUMHAM", "Dewi Lestari", "Anggota"),
    ("POLRI", "Hendra Wijaya", "Anggota"),
    ("BPJSKES", "Sri Handayani", "Sekretaris"),
]


@pytest.fixture
async def tap(rabbitmq: str) -> AsyncIterator[EventTap]:
    async with EventTap(["mou.#"]) as recording:
        yield recording


@pytest.fixture
async def services(
    tap: EventTap, agency_storage: Storage, mou_storage: Storage
) -> AsyncIterator[Services]:
    async with agency_and_mou(agency_storage, mou_storage) as running:
        yield running


def _about(subject: str) -> Any:
    return lambda r: r.event.get("subject") == subject


def _of(received: list[Received], subject: str) -> list[Received]:
    return [r for r in received if r.event.get("subject") == subject]


async def _post(services: Services, path: str, body: dict[str, Any], status: int = 0) -> Any:
    response = await services.mou.client.post(path, json=body, headers=services.mou.headers)
    if status:
        assert response.status_code == status, response.text
    return response


async def _signed_mou(services: Services, *agencies: dict[str, Any], **body: Any) -> str:
    created = await _post(
        services,
        "/mous",
        {"title": MOU_2022_TITLE, "parties": [a["id"] for a in agencies], **body},
        201,
    )
    mou_id: str = created.json()["id"]
    for agency in agencies:
        await _post(
            services,
            f"/mous/{mou_id}/signatures",
            {"agency_id": agency["id"], "signatory_name": "N", "signatory_title": "T"},
            201,
        )
    return mou_id


async def test_the_2022_mou_with_its_17_parties_is_signed_on_28_june_2022_step_by_step(
    services: Services, tap: EventTap, mou_storage: Storage
) -> None:
    agencies = await register_known(services, *MOU_2022_PARTIES)
    by_code = {a["code"]: a for a in agencies}
    assert len(by_code) == 17

    drafted = await services.mou.client.post(
        "/mous",
        json={"title": MOU_2022_TITLE, "parties": [{"agency_id": a["id"]} for a in agencies]},
        headers={**services.mou.headers, "X-Request-ID": "nk-mpp-2022"},
    )
    assert drafted.status_code == 201, drafted.text
    mou_id = drafted.json()["id"]
    await _post(
        services, f"/mous/{mou_id}/schedule", {"signing_at": MOU_2022_SIGNED_AT.isoformat()}, 200
    )
    for code in MOU_2022_CODES:
        await _post(
            services,
            f"/mous/{mou_id}/signatures",
            {
                "agency_id": by_code[code]["id"],
                "signatory_name": f"Pimpinan {code}",
                "signatory_title": f"Pimpinan {by_code[code]['name']}",
                "signed_at": MOU_2022_SIGNED_AT.isoformat(),
            },
            201,
        )
    for code, name, role in WORKING_TEAM:
        await _post(
            services,
            f"/mous/{mou_id}/team-members",
            {"agency_id": by_code[code]["id"], "name": name, "role": role},
            201,
        )

    expected_types = (
        ["mou.drafted", "mou.signing_scheduled"]
        + ["mou.party_signed"] * 17
        + ["mou.signed"]
        + ["mou.team_member_added"] * len(WORKING_TEAM)
    )
    await tap.wait_for(_about(mou_id), count=len(expected_types), timeout=20)
    await all_seen(tap, mou_storage, "mous", mou_id)
    events = _of(tap.received, mou_id)
    assert [r.type for r in events] == expected_types
    assert [r.event["data"]["version"] for r in events] == list(range(1, len(events) + 1))
    assert {r.event["source"] for r in events} == {"/mpp/mou"}
    assert {r.message.routing_key for r in events} == set(expected_types)

    first = events[0].event
    assert first["correlationid"] == "nk-mpp-2022"
    assert first["data"]["title"] == MOU_2022_TITLE
    assert [p["code"] for p in first["data"]["parties"]] == MOU_2022_CODES
    assert events[1].event["data"]["signing_at"] == "2022-06-28T03:00:00Z"
    party_signed = [r.event["data"] for r in events if r.type == "mou.party_signed"]
    assert [d["party"]["code"] for d in party_signed] == MOU_2022_CODES
    assert [d["signed_count"] for d in party_signed] == list(range(1, 18))
    assert {d["party_count"] for d in party_signed} == {17}

    [signed] = [r.event["data"] for r in events if r.type == "mou.signed"]
    assert signed["mou_id"] == mou_id
    assert signed["signed_at"] == "2022-06-28T03:00:00Z"
    assert signed["valid_from"] == "2022-06-28"
    assert signed["valid_until"] is None
    assert [(p["agency_id"], p["code"], p["name"]) for p in signed["parties"]] == [
        (a["id"], a["code"], a["name"]) for a in agencies
    ]
    assert signed["parties"][0]["signatory_name"] == "Pimpinan KEMENPANRB"

    members = [r.event["data"]["member"] for r in events if r.type == "mou.team_member_added"]
    assert [(m["agency_code"], m["name"], m["role"]) for m in members] == WORKING_TEAM
    assert members[1]["agency_name"] == "Kementerian Dalam Negeri"
    assert members[1]["agency_id"] == by_code["KEMENDAGRI"]["id"]

    stored = (await services.mou.client.get(f"/mous/{mou_id}")).json()
    assert stored["status"] == "signed"
    assert stored["version"] == len(events)
    assert stored["valid_from"] == "2022-06-28"
    assert {p["signed_at"] for p in stored["parties"]} == {"2022-06-28T03:00:00Z"}
    assert [m["name"] for m in stored["team"]] == [name for _, name, _ in WORKING_TEAM]
    in_force = await services.mou.client.get(
        "/mous", params={"status": "signed", "party": by_code["PLN"]["id"]}
    )
    assert [m["id"] for m in in_force.json()["items"]] == [mou_id]


async def test_a_deactivated_agency_cannot_join_a_draft_or_sign_but_its_mou_in_force_stays(
    services: Services, tap: EventTap, mou_storage: Storage
) -> None:
    panrb, kemenag, bnn = await register_known(
        services, *(reference_agency(c) for c in ("KEMENPANRB", "KEMENAG", "BNN"))
    )
    in_force = await _signed_mou(services, panrb, kemenag)
    draft = (
        await _post(
            services, "/mous", {"title": "Draft", "parties": [panrb["id"], kemenag["id"]]}, 201
        )
    ).json()["id"]

    deactivated = await services.agency.client.post(
        f"/agencies/{kemenag['id']}/deactivate",
        json={"reason": "Reorganisasi"},
        headers=services.agency.headers,
    )
    assert deactivated.status_code == 200, deactivated.text
    await known_to(
        services.mou.container(MouContainer).agency_directory, [kemenag["id"]], status="inactive"
    )

    joining = await _post(
        services, "/mous", {"title": "Baru", "parties": [bnn["id"], kemenag["id"]]}, 422
    )
    assert joining.json()["field"] == "parties.1.agency_id"
    assert kemenag["id"] in joining.json()["detail"]
    signing = await _post(
        services,
        f"/mous/{draft}/signatures",
        {"agency_id": kemenag["id"], "signatory_name": "N", "signatory_title": "T"},
        409,
    )
    assert "deactivated" in signing.json()["detail"]
    await _post(
        services,
        f"/mous/{in_force}/team-members",
        {"agency_id": kemenag["id"], "name": "Ahmad", "role": "Anggota"},
        409,
    )

    stored = (await services.mou.client.get(f"/mous/{in_force}")).json()
    assert stored["status"] == "signed"
    listed = await services.mou.client.get(
        "/mous", params={"status": "signed", "party": kemenag["id"]}
    )
    assert [m["id"] for m in listed.json()["items"]] == [in_force]
    await tap.wait_for("mou.signed")
    await all_seen(tap, mou_storage, "mous", in_force, draft)
    assert [r.type for r in _of(tap.received, in_force)][-1] == "mou.signed"
    assert [r.type for r in _of(tap.received, draft)] == ["mou.drafted"]


async def test_an_mou_whose_term_ran_out_is_expired_once_by_the_periodic_task_of_two_replicas(
    tap: EventTap, agency_storage: Storage, mou_storage: Storage
) -> None:
    async with (
        agency_and_mou(agency_storage, mou_storage, mou_expiry_interval_seconds=0.1) as services,
        run_service(
            build_mou_app, mou_settings(mou_expiry_interval_seconds=0.1), mou_storage
        ) as replica,
    ):
        panrb, pln = await register_known(
            services, reference_agency("KEMENPANRB"), reference_agency("PLN")
        )
        await known_to(replica.container(MouContainer).agency_directory, [panrb["id"], pln["id"]])
        ended = await _signed_mou(
            services, panrb, pln, valid_from="2022-06-28", valid_until="2024-06-27"
        )
        running = await _signed_mou(services, panrb, pln)

        [expired] = await tap.wait_for("mou.expired", timeout=10)
        # A later pass on each replica finds nothing left to expire: no second mou.expired
        # can be written after this, and the tap has taken all that was.
        assert [
            await svc.container(MouContainer).expire_due(None) for svc in (services.mou, replica)
        ] == [[], []]
        await all_seen(tap, mou_storage, "mous", ended, running)
        assert len(tap.of_type("mou.expired")) == 1
        data = expired.event["data"]
        assert expired.event["subject"] == ended
        assert data["valid_until"] == "2024-06-27"
        assert [p["code"] for p in data["parties"]] == ["KEMENPANRB", "PLN"]
        for svc in (services.mou, replica):
            assert (await svc.client.get(f"/mous/{ended}")).json()["status"] == "expired"
        assert (await replica.client.get(f"/mous/{running}")).json()["status"] == "signed"


async def test_agency_events_redelivered_or_out_of_date_do_not_roll_the_projection_back(
    services: Services,
) -> None:
    panrb = (await register_known(services, reference_agency("KEMENPANRB")))[0]

    def event(data: AgencyRegistered | AgencyUpdated, event_type: str) -> CloudEvent:
        return CloudEvent.new(
            type=event_type,
            source="/mpp/agency",
            subject=data.agency_id,
            data=data.model_dump(mode="json"),
            correlation_id="replayed",
        )

    registered = event(
        AgencyRegistered(
            agency_id="agc_replayed", version=1, code="BPOM", name="Badan POM", kind="agency"
        ),
        "agency.registered",
    )
    renamed = event(
        AgencyUpdated(
            agency_id="agc_replayed",
            version=2,
            code="BPOM",
            name="Badan Pengawas Obat dan Makanan",
            kind="agency",
            changed=["name"],
        ),
        "agency.updated",
    )
    late_copy = CloudEvent.new(
        type=registered.type,
        source=registered.source,
        subject=registered.subject,
        data=registered.data,
        correlation_id="late",
    )
    for sent in (registered, renamed, registered, late_copy):
        await publish_raw(sent.to_json_bytes(), sent.type, message_id=sent.id)
    marker = (await register_known(services, reference_agency("PLN")))[0]
    assert marker["code"] == "PLN"  # the queue is in order: everything before it is applied

    created = await _post(
        services, "/mous", {"title": "T", "parties": [panrb["id"], "agc_replayed"]}, 201
    )
    assert created.json()["parties"][1]["name"] == "Badan Pengawas Obat dan Makanan"
