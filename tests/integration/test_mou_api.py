"""The MoU service's HTTP resources, its agencies learned from the agency service.

The agency service runs beside it, both with no broker: its events reach the MoU service in
memory (``tests.support.inprocess``), still the only way an agency becomes a possible party.
The same path over the real broker is ``test_mou_on_the_broker``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.mou.container import MouContainer
from shared.container import container_of
from shared.storage import Storage
from tests.support.eventually import eventually
from tests.support.mou import (
    Services,
    agency_and_mou_in_process,
    register_agency,
    register_known,
)
from tests.support.problems import problem_of
from tests.support.reference import reference_agency

AGENCY_ONLY_KEY = "agency-only-key"
FINER_KEYS = json.dumps(
    [
        {
            "name": "agency-seeder",
            "sha256": hashlib.sha256(AGENCY_ONLY_KEY.encode()).hexdigest(),
            "scopes": ["agency:write"],
        }
    ]
)
TITLE = "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"


@pytest.fixture
async def services(agency_storage: Storage, mou_storage: Storage) -> AsyncIterator[Services]:
    async with agency_and_mou_in_process(
        agency_storage, mou_storage, mpp_api_keys=FINER_KEYS
    ) as running:
        yield running


@pytest.fixture
async def parties(services: Services) -> dict[str, dict[str, Any]]:
    """Four of the 2022 signatories, known to the MoU service."""
    codes = ("KEMENPANRB", "KEMENDAGRI", "POLRI", "PLN")
    agencies = await register_known(services, *(reference_agency(c) for c in codes))
    return {a["code"]: a for a in agencies}


async def _draft(services: Services, *agencies: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await services.mou.client.post(
        "/mous",
        json={"title": TITLE, "parties": [{"agency_id": a["id"]} for a in agencies], **body},
        headers=services.mou.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _sign(
    services: Services, mou_id: str, agency: dict[str, Any], **body: Any
) -> Any:  # the httpx response
    return await services.mou.client.post(
        f"/mous/{mou_id}/signatures",
        json={
            "agency_id": agency["id"],
            "signatory_name": f"Penandatangan {agency['code']}",
            "signatory_title": "Pejabat yang berwenang",
            **body,
        },
        headers=services.mou.headers,
    )


async def test_a_drafted_mou_is_read_back_with_every_partys_signature_state(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    panrb, dagri = parties["KEMENPANRB"], parties["KEMENDAGRI"]
    response = await services.mou.client.post(
        "/mous",
        json={"title": TITLE, "number": "01/NK/2022", "parties": [panrb["id"], dagri["id"]]},
        headers=services.mou.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    created = response.json()
    assert response.headers["location"].endswith(f"/mous/{created['id']}")

    fetched = await services.mou.client.get(f"/mous/{created['id']}")
    assert fetched.status_code == 200
    body = fetched.json()
    assert body == created
    assert body["status"] == "draft"
    assert body["number"] == "01/NK/2022"
    assert body["version"] == 1
    assert body["parties"] == [
        {
            "agency_id": panrb["id"],
            "code": "KEMENPANRB",
            "name": panrb["name"],
            "signed_at": None,
            "signatory_name": None,
            "signatory_title": None,
        },
        {
            "agency_id": dagri["id"],
            "code": "KEMENDAGRI",
            "name": dagri["name"],
            "signed_at": None,
            "signatory_name": None,
            "signatory_title": None,
        },
    ]
    for field in ("signing_at", "valid_from", "valid_until", "terminated_at"):
        assert body[field] is None
    assert body["team"] == []
    assert body["created_at"].endswith("Z")

    same_number = await services.mou.client.post(
        "/mous",
        json={"title": "Lain", "number": "01/NK/2022", "parties": [panrb["id"], dagri["id"]]},
        headers=services.mou.headers,
    )
    assert problem_of(same_number, 409)["field"] == "number"


async def test_a_party_unknown_to_the_service_is_refused_with_422_naming_the_agency_id(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    response = await services.mou.client.post(
        "/mous",
        json={"title": TITLE, "parties": [parties["KEMENPANRB"]["id"], "agc_never_registered"]},
        headers=services.mou.headers,
    )
    problem = problem_of(response, 422)
    assert problem["field"] == "parties.1.agency_id"
    assert "agc_never_registered" in problem["detail"]
    assert problem["errors"][0]["field"] == "parties.1.agency_id"
    listed = (await services.mou.client.get("/mous")).json()
    assert listed["items"] == []


async def test_an_agency_is_usable_as_a_party_as_soon_as_its_registration_has_arrived(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    bnn = await register_agency(services.agency, reference_agency("BNN"))
    # Poll the public API itself: the refusal lasts only until agency.registered arrives.
    body = {"title": TITLE, "parties": [parties["KEMENPANRB"]["id"], bnn["id"]]}

    def refused_only_as_unknown(answer: httpx.Response) -> bool:
        if answer.status_code == 422:
            assert bnn["id"] in answer.json()["detail"]
            return False
        return True

    response = await eventually(
        lambda: services.mou.client.post("/mous", json=body, headers=services.mou.headers),
        until=refused_only_as_unknown,
        every=0.02,
        what="the MoU service to accept BNN as a party",
    )
    assert response.status_code == 201, response.text
    assert [p["code"] for p in response.json()["parties"]] == ["KEMENPANRB", "BNN"]


@pytest.mark.parametrize(
    ("party_codes", "field"),
    [(["KEMENPANRB"], "parties"), (["KEMENPANRB", "PLN", "KEMENPANRB"], "parties.2.agency_id")],
)
async def test_fewer_than_two_or_repeated_parties_are_refused(
    services: Services, parties: dict[str, dict[str, Any]], party_codes: list[str], field: str
) -> None:
    response = await services.mou.client.post(
        "/mous",
        json={"title": TITLE, "parties": [{"agency_id": parties[c]["id"]} for c in party_codes]},
        headers=services.mou.headers,
    )
    assert problem_of(response, 422)["field"] == field


async def test_valid_until_before_valid_from_is_refused(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    response = await services.mou.client.post(
        "/mous",
        json={
            "title": TITLE,
            "parties": [parties["KEMENPANRB"]["id"], parties["PLN"]["id"]],
            "valid_from": "2022-07-01",
            "valid_until": "2022-06-30",
        },
        headers=services.mou.headers,
    )
    assert problem_of(response, 422)["field"] == "valid_until"


async def test_a_draft_is_revised_until_the_first_signature_locks_its_parties(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    panrb, dagri, polri = parties["KEMENPANRB"], parties["KEMENDAGRI"], parties["POLRI"]
    mou = await _draft(services, panrb, dagri)
    url = f"/mous/{mou['id']}"
    auth = services.mou.headers

    stale = await services.mou.client.patch(
        url, json={"title": "Ubah"}, headers={**auth, "If-Match": '"7"'}
    )
    assert problem_of(stale, 412)["current_version"] == 1

    revised = await services.mou.client.patch(
        url,
        json={"parties": [{"agency_id": a["id"]} for a in (panrb, dagri, polri)], "number": "X/1"},
        headers={**auth, "If-Match": '"1"'},
    )
    assert revised.status_code == 200, revised.text
    assert revised.headers["etag"] == '"2"'
    assert [p["code"] for p in revised.json()["parties"]] == ["KEMENPANRB", "KEMENDAGRI", "POLRI"]
    assert revised.json()["number"] == "X/1"

    unknown = await services.mou.client.patch(
        url, json={"parties": [panrb["id"], "agc_unknown"]}, headers=auth
    )
    assert problem_of(unknown, 422)["field"] == "parties.1.agency_id"
    null_title = await services.mou.client.patch(url, json={"title": None}, headers=auth)
    assert problem_of(null_title, 422)["field"] == "title"

    assert (await _sign(services, mou["id"], polri)).status_code == 201
    locked = await services.mou.client.patch(
        url, json={"parties": [panrb["id"], polri["id"]]}, headers=auth
    )
    assert problem_of(locked, 409)["current_state"] == "signing"
    stored = (await services.mou.client.get(url)).json()
    assert [p["code"] for p in stored["parties"]] == ["KEMENPANRB", "KEMENDAGRI", "POLRI"]
    assert stored["status"] == "signing"


async def test_the_lifecycle_from_draft_through_signing_to_signed_and_terminated(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    panrb, dagri, polri, pln = (parties[c] for c in ("KEMENPANRB", "KEMENDAGRI", "POLRI", "PLN"))
    mou = await _draft(services, panrb, dagri, polri, valid_until="2027-06-27")
    mou_id = mou["id"]
    client, auth = services.mou.client, services.mou.headers

    scheduled = await client.post(
        f"/mous/{mou_id}/schedule", json={"signing_at": "2022-06-28T10:00:00+07:00"}, headers=auth
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["signing_at"] == "2022-06-28T03:00:00Z"
    assert scheduled.json()["status"] == "draft"

    first = await _sign(services, mou_id, panrb, signed_at="2022-06-28T03:05:00Z")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "signing"

    again = await _sign(services, mou_id, panrb, signatory_name="Orang lain")
    assert problem_of(again, 409)["agency_id"] == panrb["id"]
    outsider = await _sign(services, mou_id, pln)
    assert problem_of(outsider, 422)["field"] == "agency_id"
    future = datetime.now(UTC) + timedelta(days=2)
    too_soon = await _sign(services, mou_id, dagri, signed_at=future.isoformat())
    assert problem_of(too_soon, 422)["field"] == "signed_at"

    assert (await _sign(services, mou_id, dagri, signed_at="2022-06-28T03:10:00Z")).is_success
    last = await _sign(services, mou_id, polri, signed_at="2022-06-28T03:15:00Z")
    assert last.status_code == 201, last.text
    signed = last.json()
    assert signed["status"] == "signed"
    assert signed["valid_from"] == "2022-06-28"
    assert signed["valid_until"] == "2027-06-27"
    assert [p["signed_at"] for p in signed["parties"]] == [
        "2022-06-28T03:05:00Z",
        "2022-06-28T03:10:00Z",
        "2022-06-28T03:15:00Z",
    ]
    assert signed["parties"][2]["signatory_name"] == "Penandatangan POLRI"
    assert signed["parties"][2]["signatory_title"] == "Pejabat yang berwenang"

    member = await client.post(
        f"/mous/{mou_id}/team-members",
        json={"agency_id": polri["id"], "name": "Brigjen Contoh", "role": "Anggota"},
        headers=auth,
    )
    assert member.status_code == 201, member.text
    [appointed] = member.json()["team"]
    assert appointed["agency_id"] == polri["id"]
    assert appointed["agency_code"] == "POLRI"
    assert (appointed["name"], appointed["role"]) == ("Brigjen Contoh", "Anggota")
    not_a_party = await client.post(
        f"/mous/{mou_id}/team-members",
        json={"agency_id": pln["id"], "name": "X", "role": "Anggota"},
        headers=auth,
    )
    assert problem_of(not_a_party, 422)["field"] == "agency_id"

    no_reason = await client.post(f"/mous/{mou_id}/terminate", json={}, headers=auth)
    assert problem_of(no_reason, 422)["field"] == "reason"
    terminated = await client.post(
        f"/mous/{mou_id}/terminate", json={"reason": "Diganti Nota Kesepahaman 2025"}, headers=auth
    )
    assert terminated.status_code == 200, terminated.text
    body = terminated.json()
    assert body["status"] == "terminated"
    assert body["termination_reason"] == "Diganti Nota Kesepahaman 2025"
    assert body["terminated_at"] is not None

    late = await _sign(services, mou_id, panrb)
    assert problem_of(late, 409)["current_state"] == "terminated"
    late_member = await client.post(
        f"/mous/{mou_id}/team-members",
        json={"agency_id": panrb["id"], "name": "Y", "role": "Ketua"},
        headers=auth,
    )
    assert problem_of(late_member, 409)["current_state"] == "terminated"
    assert (await client.get(f"/mous/{mou_id}")).json()["version"] == body["version"]


async def test_an_expiry_pass_expires_only_mous_in_force_whose_term_has_run_out(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    panrb, pln = parties["KEMENPANRB"], parties["PLN"]
    ending = await _draft(services, panrb, pln, valid_until="2030-12-31")
    endless = await _draft(services, panrb, pln)
    unsigned = await _draft(services, panrb, pln, valid_until="2030-12-31")
    for mou in (ending, endless):
        for agency in (panrb, pln):
            assert (await _sign(services, mou["id"], agency)).status_code == 201

    expire_due = container_of(services.mou.app, MouContainer).expire_due
    assert await expire_due(date(2030, 12, 31)) == []
    assert await expire_due(date(2031, 1, 1)) == [ending["id"]]
    assert await expire_due(date(2031, 1, 1)) == []

    statuses = {
        m["id"]: (await services.mou.client.get(f"/mous/{m['id']}")).json()["status"]
        for m in (ending, endless, unsigned)
    }
    assert statuses == {ending["id"]: "expired", endless["id"]: "signed", unsigned["id"]: "draft"}
    still_open = await _sign(services, unsigned["id"], panrb)
    assert still_open.status_code == 201  # a draft is unaffected by the pass
    late = await services.mou.client.post(
        f"/mous/{ending['id']}/terminate", json={"reason": "x"}, headers=services.mou.headers
    )
    assert problem_of(late, 409)["current_state"] == "expired"


async def test_mous_are_listed_by_status_and_by_party(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    panrb, dagri, polri, pln = (parties[c] for c in ("KEMENPANRB", "KEMENDAGRI", "POLRI", "PLN"))
    with_police = await _draft(services, panrb, polri)
    with_pln = await _draft(services, panrb, pln)
    with_both = await _draft(services, dagri, pln, polri)
    for agency in (panrb, pln):
        assert (await _sign(services, with_pln["id"], agency)).status_code == 201

    async def ids(**params: str) -> list[str]:
        response = await services.mou.client.get("/mous", params=params)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    assert await ids(party=polri["id"]) == [with_police["id"], with_both["id"]]
    assert await ids(party="pln") == [with_pln["id"], with_both["id"]]
    assert await ids(status="signed") == [with_pln["id"]]
    assert await ids(status="draft", party=pln["id"]) == [with_both["id"]]
    assert await ids(status="expired") == []
    first_page = (await services.mou.client.get("/mous", params={"limit": 2})).json()
    assert len(first_page["items"]) == 2
    rest = await services.mou.client.get(
        "/mous", params={"limit": 2, "cursor": first_page["next_cursor"]}
    )
    assert [m["id"] for m in rest.json()["items"]] == [with_both["id"]]
    bad = await services.mou.client.get("/mous", params={"status": "in_force"})
    assert problem_of(bad, 422)["field"] == "status"


async def test_changes_need_a_key_with_the_mou_write_scope_while_reads_are_public(
    services: Services, parties: dict[str, dict[str, Any]]
) -> None:
    body = {"title": TITLE, "parties": [parties["KEMENPANRB"]["id"], parties["PLN"]["id"]]}
    anonymous = await services.mou.client.post("/mous", json=body)
    assert problem_of(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    wrong_scope = await services.mou.client.post(
        "/mous", json=body, headers={"Authorization": f"Bearer {AGENCY_ONLY_KEY}"}
    )
    assert problem_of(wrong_scope, 403)["scope"] == "mou:write"
    assert (await services.mou.client.get("/mous")).status_code == 200
    missing = await services.mou.client.get("/mous/mou_nope")
    assert problem_of(missing, 404)
