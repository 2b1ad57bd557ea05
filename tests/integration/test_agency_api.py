"""The agency service's HTTP resources, in process with no broker (tests.support.inprocess)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import pytest

from services.agency.bootstrap import build_app
from shared.storage import Storage
from tests.support.inprocess import run_in_process
from tests.support.servers import RunningService, service_settings

BNN = {"code": "BNN", "name": "Badan Narkotika Nasional", "kind": "agency", "acronym": "BNN"}


@pytest.fixture
async def agency(agency_storage: Storage) -> AsyncIterator[RunningService]:
    async with run_in_process(build_app, storage=agency_storage) as running:
        yield running


async def _register(svc: RunningService, **body: object) -> dict[str, object]:
    response = await svc.client.post("/agencies", json={**BNN, **body}, headers=svc.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_registered_agency_can_be_read_back_with_its_version_as_etag(
    agency: RunningService,
) -> None:
    created = await _register(agency, services=[{"code": "SKHPN", "name": "Surat keterangan"}])
    response = await agency.client.get(f"/agencies/{created['id']}")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["code"] == "BNN"
    assert body["status"] == "active"
    assert body["services"] == [{"code": "SKHPN", "name": "Surat keterangan"}]
    assert body["created_at"].endswith("Z")


async def test_a_duplicate_code_is_a_conflict_and_the_first_agency_is_untouched(
    agency: RunningService,
) -> None:
    first = await _register(agency)
    again = await agency.client.post(
        "/agencies", json={**BNN, "name": "Another"}, headers=agency.headers
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["status"] == 409
    stored = (await agency.client.get(f"/agencies/{first['id']}")).json()
    assert stored["name"] == BNN["name"]
    listed = (await agency.client.get("/agencies", params={"code": "BNN"})).json()
    assert len(listed["items"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BNN, "code": "bnn"}, "code"),
        ({**BNN, "kind": "club"}, "kind"),
        ({k: v for k, v in BNN.items() if k != "name"}, "name"),
        ({**BNN, "services": [{"code": "X", "name": "x"}, {"code": "X", "name": "y"}]}, "services.1.code"),
        ({**BNN, "services": [{"code": "X"}]}, "services.0.name"),
        ({**BNN, "colour": "red"}, "colour"),
    ],
)  # fmt: skip
async def test_invalid_input_is_a_422_problem_naming_the_field(
    agency: RunningService, body: dict[str, object], field: str
) -> None:
    response = await agency.client.post("/agencies", json=body, headers=agency.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["field"] == field
    assert field in problem["detail"]
    assert problem["errors"][0]["field"] == field
    listed = (await agency.client.get("/agencies")).json()
    assert listed["items"] == []


async def test_writes_without_a_valid_key_are_refused_and_reads_are_public(
    agency: RunningService,
) -> None:
    missing = await agency.client.post("/agencies", json=BNN)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await agency.client.post(
        "/agencies", json=BNN, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert (await agency.client.get("/agencies")).status_code == 200


async def test_a_hashed_key_without_the_agency_scope_is_forbidden(
    agency_storage: Storage,
) -> None:
    keys = [
        {"name": "mall-bot", "sha256": hashlib.sha256(b"mall-key").hexdigest(), "scopes": ["mall:write"]},
        {"name": "registry", "sha256": hashlib.sha256(b"agency-key").hexdigest(), "scopes": ["agency:write"]},
    ]  # fmt: skip
    settings = service_settings(mpp_api_key=None, mpp_api_keys=json.dumps(keys))
    async with run_in_process(build_app, settings, agency_storage) as svc:
        refused = await svc.client.post(
            "/agencies", json=BNN, headers={"Authorization": "Bearer mall-key"}
        )
        assert refused.status_code == 403
        assert "agency:write" in refused.json()["detail"]
        allowed = await svc.client.post(
            "/agencies", json=BNN, headers={"Authorization": "Bearer agency-key"}
        )
        assert allowed.status_code == 201


async def test_a_patch_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    agency: RunningService,
) -> None:
    created = await _register(agency)
    url = f"/agencies/{created['id']}"
    changed = await agency.client.patch(
        url, json={"name": "BNN RI"}, headers={**agency.headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    stale = await agency.client.patch(
        url, json={"name": "Stale"}, headers={**agency.headers, "If-Match": "1"}
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await agency.client.get(url)).json()["name"] == "BNN RI"


async def test_services_are_added_and_removed_and_a_duplicate_service_code_is_a_conflict(
    agency: RunningService,
) -> None:
    created = await _register(agency)
    url = f"/agencies/{created['id']}/services"
    added = await agency.client.post(
        url, json={"code": "SKHPN", "name": "SKHPN"}, headers=agency.headers
    )
    assert added.status_code == 201
    duplicate = await agency.client.post(
        url, json={"code": "SKHPN", "name": "again"}, headers=agency.headers
    )
    assert duplicate.status_code == 409
    removed = await agency.client.delete(f"{url}/SKHPN", headers=agency.headers)
    assert removed.status_code == 200
    assert removed.json()["services"] == []
    gone = await agency.client.delete(f"{url}/SKHPN", headers=agency.headers)
    assert gone.status_code == 404


async def test_deactivation_is_a_one_way_transition(agency: RunningService) -> None:
    created = await _register(agency)
    url = f"/agencies/{created['id']}/deactivate"
    first = await agency.client.post(url, json={"reason": "merged"}, headers=agency.headers)
    assert first.status_code == 200
    assert first.json()["status"] == "inactive"
    second = await agency.client.post(url, headers=agency.headers)
    assert second.status_code == 409
    assert second.json()["current_state"] == "inactive"


async def test_lists_filter_and_page_with_a_cursor(agency: RunningService) -> None:
    for code, kind in [("BPJSKES", "public_body"), ("BPJSTK", "public_body"), ("PLN", "soe")]:
        await _register(agency, code=code, name=f"Agency {code}", kind=kind)
    first = (
        await agency.client.get("/agencies", params={"kind": "public_body", "limit": 1})
    ).json()
    assert [a["code"] for a in first["items"]] == ["BPJSKES"]
    second = (
        await agency.client.get(
            "/agencies", params={"kind": "public_body", "limit": 1, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [a["code"] for a in second["items"]] == ["BPJSTK"]
    assert second["next_cursor"] is None
    found = (await agency.client.get("/agencies", params={"q": "pln"})).json()
    assert [a["code"] for a in found["items"]] == ["PLN"]
    bad = await agency.client.get("/agencies", params={"cursor": "%%%"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "cursor"


async def test_unknown_agencies_are_404_problems(agency: RunningService) -> None:
    response = await agency.client.get("/agencies/agc_missing")
    assert response.status_code == 404
    assert response.json()["instance"] == "/agencies/agc_missing"


async def test_health_metrics_openapi_and_asyncapi_are_served(agency: RunningService) -> None:
    assert (await agency.client.get("/healthz")).json()["status"] == "ok"
    assert (await agency.client.get("/readyz")).status_code == 200
    await _register(agency)
    metrics = (await agency.client.get("/metrics")).text
    assert (
        'mpp_http_requests_total{method="POST",route="/agencies",service="agency",status="201"}'
        in metrics
    )
    assert (
        "/agencies/{agency_id}/deactivate"
        in (await agency.client.get("/openapi.json")).json()["paths"]
    )
    asyncapi = (await agency.client.get("/asyncapi.json")).json()
    assert "agency.registered" in json.dumps(asyncapi)


async def test_a_method_a_path_does_not_serve_is_405_listing_every_method_it_does(
    agency: RunningService,
) -> None:
    response = await agency.client.put("/agencies/agc_any", headers=agency.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_malformed_if_match_is_a_422_naming_the_header(agency: RunningService) -> None:
    created = await _register(agency)
    response = await agency.client.patch(
        f"/agencies/{created['id']}",
        json={"name": "X"},
        headers={**agency.headers, "If-Match": "null"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "If-Match"
    assert (await agency.client.get(f"/agencies/{created['id']}")).json()["version"] == 1
