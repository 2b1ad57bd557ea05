"""The mall service's HTTP resources, in process with no broker (tests.support.inprocess).

Agencies and MoUs reach the service's projections here through the same code the consumers
run (``apply`` with real CloudEvents); the broker path is in test_mall_on_the_broker.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.mall.bootstrap import build_app
from services.mall.container import MallContainer
from shared.container import container_of
from shared.storage import Storage
from tests.support.inprocess import run_in_process
from tests.support.mou_events import (
    KEMENKUMHAM,
    KEMENPANRB,
    Party,
    agency_registered,
    mou_signed,
    mou_terminated,
)
from tests.support.problems import problem_of
from tests.support.reference_malls import (
    DKI_JAKARTA,
    HULU_SUNGAI_SELATAN,
    KOTA_MOJOKERTO,
    MADIUN,
    SANGGAU,
    ReferenceMall,
)
from tests.support.servers import RunningService

POLRI = Party.offering(
    "agc_polri", "POLRI", "Kepolisian Negara Republik Indonesia", kind="agency", SKCK="SKCK"
)
DISDUKCAPIL = Party.offering(
    "agc_dukcapil_hss",
    "DISDUKCAPIL_HSS",
    "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Hulu Sungai Selatan",
    kind="local_government",
    KTP_EL="KTP elektronik",
)


@pytest.fixture
async def mall(mall_storage: Storage) -> AsyncIterator[RunningService]:
    async with run_in_process(build_app, storage=mall_storage) as running:
        directory = _container(running).agency_directory
        for party in (KEMENPANRB, KEMENKUMHAM, POLRI, DISDUKCAPIL):
            await directory.apply(agency_registered(party))
        yield running


def _container(svc: RunningService) -> MallContainer:
    return container_of(svc.app, MallContainer)


async def _sign(svc: RunningService, mou_id: str, parties: list[Party], version: int = 4) -> None:
    await _container(svc).counter_flags.on_mou_event(mou_signed(mou_id, parties, version=version))


async def _create(svc: RunningService, reference: ReferenceMall = SANGGAU) -> dict[str, Any]:
    response = await svc.client.post("/malls", json=reference.create_body(), headers=svc.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _post(
    svc: RunningService, path: str, body: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    return await svc.client.post(path, json=body, headers={**svc.headers, **headers})


# --- creating and reading ------------------------------------------------------------------


async def test_a_planned_mall_is_created_with_its_province_name_and_read_back(
    mall: RunningService,
) -> None:
    response = await mall.client.post(
        "/malls", json=HULU_SUNGAI_SELATAN.create_body(), headers=mall.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"/malls/{created['id']}")
    assert created["status"] == "planned"
    assert created["version"] == 1
    assert created["address"] == "Pasar Los Batu, Kandangan"
    assert created["region"] == {
        "province_code": "63",
        "province_name": "Kalimantan Selatan",
        "regency_code": "63.06",
        "regency_name": "Kabupaten Hulu Sungai Selatan",
    }
    assert created["counters"] == []
    assert "_active_regency" not in created

    read = await mall.client.get(f"/malls/{created['id']}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json() == created


async def test_a_province_level_mall_is_accepted(mall: RunningService) -> None:
    created = await _create(mall, DKI_JAKARTA)
    assert created["region"]["regency_code"] == "31"
    assert created["region"]["province_name"] == "Daerah Khusus Ibukota Jakarta"


def _with_region(**region: Any) -> dict[str, Any]:
    body = SANGGAU.create_body()
    body["region"] = {**body["region"], **region}
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with_region(province_code="99"), "region.province_code"),
        (_with_region(province_code="6A"), "region.province_code"),
        (_with_region(regency_code="63.06"), "region.regency_code"),
        (_with_region(regency_code="61-03"), "region.regency_code"),
        (_with_region(regency_name=""), "region.regency_name"),
        (_with_region(province_name="Kalimantan Timur"), "region.province_name"),
        ({"name": "MPP Sanggau"}, "region"),
        ({**SANGGAU.create_body(), "name": ""}, "name"),
        ({**SANGGAU.create_body(), "colour": "red"}, "colour"),
    ],
)
async def test_invalid_input_is_a_422_problem_naming_the_field(
    mall: RunningService, body: dict[str, Any], field: str
) -> None:
    response = await mall.client.post("/malls", json=body, headers=mall.headers)
    problem = problem_of(response, 422)
    assert problem["field"] == field


async def test_writes_need_a_key_and_reads_do_not(mall: RunningService) -> None:
    refused = await mall.client.post("/malls", json=SANGGAU.create_body())
    problem_of(refused, 401)
    created = await _create(mall)
    assert (await mall.client.get(f"/malls/{created['id']}")).status_code == 200
    assert (await mall.client.get("/malls")).status_code == 200


async def test_an_unknown_mall_is_a_404problem_of(mall: RunningService) -> None:
    problem_of(await mall.client.get("/malls/mall_nothing"), 404)
    problem_of(await _post(mall, "/malls/mall_nothing/open"), 404)


async def test_a_second_mall_in_a_regency_is_a_409_until_the_first_closes(
    mall: RunningService,
) -> None:
    first = await _create(mall)
    again = await mall.client.post("/malls", json=SANGGAU.create_body(), headers=mall.headers)
    problem = problem_of(again, 409)
    assert problem["existing_mall_id"] == first["id"]
    assert "61.03" in problem["detail"]

    closed = await _post(mall, f"/malls/{first['id']}/close", {"reason": "relocated"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closure_reason"] == "relocated"
    assert (await _create(mall))["id"] != first["id"]


# --- lifecycle -----------------------------------------------------------------------------


async def test_the_lifecycle_of_sanggau_open_schedule_and_inaugurate(
    mall: RunningService,
) -> None:
    created = await _create(mall)
    base = f"/malls/{created['id']}"
    opened = await _post(mall, f"{base}/open", {"opened_at": "2020-12-10"})
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "operating"
    assert opened.json()["opened_at"].startswith("2020-12-10")

    scheduled = await _post(
        mall, f"{base}/inauguration", {"scheduled_for": "2022-05-24T09:00:00+07:00"}
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["inauguration_scheduled_for"] == "2022-05-24T02:00:00Z"

    inaugurated = await _post(
        mall,
        f"{base}/inaugurate",
        {"inaugurated_at": "2022-05-24T09:00:00+07:00", "inaugurated_by": "Bupati Sanggau"},
    )
    assert inaugurated.status_code == 200, inaugurated.text
    body = inaugurated.json()
    assert body["status"] == "inaugurated"
    assert body["inaugurated_at"] == "2022-05-24T02:00:00Z"
    assert body["inaugurated_by"] == "Bupati Sanggau"
    assert body["version"] == 4
    assert inaugurated.headers["etag"] == '"4"'


async def test_an_illegal_transition_is_a_409_naming_the_current_state(
    mall: RunningService,
) -> None:
    created = await _create(mall, HULU_SUNGAI_SELATAN)
    base = f"/malls/{created['id']}"
    inaugurated = await _post(
        mall,
        f"{base}/inaugurate",
        {"inaugurated_at": "2022-05-31", "inaugurated_by": "Bupati Hulu Sungai Selatan"},
    )
    assert inaugurated.status_code == 200, inaugurated.text
    for path, body in (
        ("open", None),
        ("inauguration", {"scheduled_for": "2022-06-01"}),
        ("inaugurate", {"inaugurated_by": "Menteri PANRB"}),
    ):
        problem = problem_of(await _post(mall, f"{base}/{path}", body), 409)
        assert problem["current_state"] == "inaugurated"
        assert problem["type"].endswith("/invalid-transition")
    await _post(mall, f"{base}/close")
    problem = problem_of(await _post(mall, f"{base}/close"), 409)
    assert problem["current_state"] == "closed"


async def test_a_future_opening_or_inauguration_is_a_422(mall: RunningService) -> None:
    created = await _create(mall)
    base = f"/malls/{created['id']}"
    problem = problem_of(await _post(mall, f"{base}/open", {"opened_at": "2999-01-01"}), 422)
    assert problem["field"] == "opened_at"
    problem = problem_of(
        await _post(
            mall, f"{base}/inaugurate", {"inaugurated_at": "2999-01-01", "inaugurated_by": "X"}
        ),
        422,
    )
    assert problem["field"] == "inaugurated_at"
    scheduled = await _post(mall, f"{base}/inauguration", {"scheduled_for": "2999-01-01"})
    assert scheduled.status_code == 200, scheduled.text


async def test_a_stale_if_match_is_a_412_and_a_current_one_is_accepted(
    mall: RunningService,
) -> None:
    created = await _create(mall)
    base = f"/malls/{created['id']}"
    stale = await _post(mall, f"{base}/open", None, **{"If-Match": '"7"'})
    problem = problem_of(stale, 412)
    assert problem["current_version"] == 1
    assert (await mall.client.get(base)).json()["status"] == "planned"
    current = await _post(mall, f"{base}/open", None, **{"If-Match": '"1"'})
    assert current.status_code == 200, current.text
    assert current.headers["etag"] == '"2"'


# --- counters ------------------------------------------------------------------------------


async def test_a_counter_opens_only_for_an_agency_party_to_an_mou_in_force(
    mall: RunningService,
) -> None:
    created = await _create(mall)
    counters = f"/malls/{created['id']}/counters"
    body = {"agency_id": KEMENKUMHAM.agency_id, "services": ["PASPOR"]}

    problem = problem_of(await _post(mall, counters, body), 409)
    assert "not a party to any MoU in force" in problem["detail"]
    assert problem["reason"] == "no_mou_in_force"

    await _sign(mall, "mou_2022", [KEMENPANRB, KEMENKUMHAM])
    opened = await _post(mall, counters, body)
    assert opened.status_code == 201, opened.text
    [counter] = opened.json()["counters"]
    assert counter["agency_id"] == KEMENKUMHAM.agency_id
    assert counter["code"] == "KEMENKUMHAM"
    assert counter["name"] == "Kementerian Hukum dan HAM"
    assert counter["services"] == ["PASPOR"]
    assert counter["flagged"] is False
    assert counter["flag_reason"] is None
    assert counter["opened_at"].endswith("Z")

    problem_of(await _post(mall, counters, body), 409)  # one counter per agency per mall


async def test_a_local_government_counter_needs_no_mou(mall: RunningService) -> None:
    created = await _create(mall, HULU_SUNGAI_SELATAN)
    opened = await _post(
        mall,
        f"/malls/{created['id']}/counters",
        {"agency_id": DISDUKCAPIL.agency_id, "services": ["KTP_EL"]},
    )
    assert opened.status_code == 201, opened.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agency_id": "agc_unknown", "services": ["PASPOR"]}, "agency_id"),
        ({"agency_id": KEMENKUMHAM.agency_id, "services": ["SKCK"]}, "services.0"),
        ({"agency_id": KEMENKUMHAM.agency_id, "services": ["PASPOR", "X"]}, "services.1"),
        ({"agency_id": KEMENKUMHAM.agency_id, "services": []}, "services"),
        ({"agency_id": KEMENKUMHAM.agency_id}, "services"),
    ],
)
async def test_an_unknown_agency_or_a_service_it_does_not_offer_is_a_422(
    mall: RunningService, body: dict[str, Any], field: str
) -> None:
    await _sign(mall, "mou_2022", [KEMENPANRB, KEMENKUMHAM])
    created = await _create(mall)
    problem = problem_of(await _post(mall, f"/malls/{created['id']}/counters", body), 422)
    assert problem["field"] == field


async def test_closing_a_counter_removes_it_and_a_missing_one_is_a_404(
    mall: RunningService,
) -> None:
    await _sign(mall, "mou_2022", [KEMENPANRB, KEMENKUMHAM, POLRI])
    created = await _create(mall)
    counters = f"/malls/{created['id']}/counters"
    for party, service in ((KEMENKUMHAM, "PASPOR"), (POLRI, "SKCK")):
        opened = await _post(mall, counters, {"agency_id": party.agency_id, "services": [service]})
        assert opened.status_code == 201, opened.text

    closed = await mall.client.delete(f"{counters}/{POLRI.agency_id}", headers=mall.headers)
    assert closed.status_code == 200, closed.text
    assert [c["code"] for c in closed.json()["counters"]] == ["KEMENKUMHAM"]
    missing = await mall.client.delete(f"{counters}/{POLRI.agency_id}", headers=mall.headers)
    problem_of(missing, 404)


async def test_a_terminated_mou_flags_the_counters_in_the_malls_view(
    mall: RunningService,
) -> None:
    parties = [KEMENPANRB, KEMENKUMHAM]
    await _sign(mall, "mou_2022", parties)
    created = await _create(mall)
    await _post(
        mall,
        f"/malls/{created['id']}/counters",
        {"agency_id": KEMENKUMHAM.agency_id, "services": ["PASPOR", "PASPOR_GANTI"]},
    )
    await _container(mall).counter_flags.on_mou_event(
        mou_terminated("mou_2022", parties, version=5)
    )
    [counter] = (await mall.client.get(f"/malls/{created['id']}")).json()["counters"]
    assert counter["flagged"] is True
    assert "terminated" in counter["flag_reason"]


# --- lists and statistics ------------------------------------------------------------------


async def test_malls_are_listed_by_status_and_province_and_paged(mall: RunningService) -> None:
    for reference in (SANGGAU, HULU_SUNGAI_SELATAN, MADIUN, KOTA_MOJOKERTO):
        await _create(mall, reference)
    jawa_timur = (await mall.client.get("/malls", params={"province_code": "35"})).json()
    assert sorted(m["region"]["regency_code"] for m in jawa_timur["items"]) == ["35.19", "35.76"]

    madiun = next(m for m in jawa_timur["items"] if m["region"]["regency_code"] == "35.19")
    await _post(mall, f"/malls/{madiun['id']}/open", {"opened_at": "2021-11-01"})
    operating = (await mall.client.get("/malls", params={"status": "operating"})).json()
    assert [m["id"] for m in operating["items"]] == [madiun["id"]]
    by_regency = (await mall.client.get("/malls", params={"regency_code": "61.03"})).json()
    assert [m["name"] for m in by_regency["items"]] == [SANGGAU.name]

    first = (await mall.client.get("/malls", params={"limit": 3})).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = (
        await mall.client.get("/malls", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    problem_of(await mall.client.get("/malls", params={"status": "demolished"}), 422)


async def test_stats_give_the_programmes_figures(mall: RunningService) -> None:
    await _sign(mall, "mou_2022", [KEMENPANRB, KEMENKUMHAM, POLRI])
    sanggau = await _create(mall, SANGGAU)
    hss = await _create(mall, HULU_SUNGAI_SELATAN)
    await _create(mall, MADIUN)
    for mall_id, party, service in (
        (sanggau["id"], KEMENKUMHAM, "PASPOR"),
        (sanggau["id"], POLRI, "SKCK"),
        (hss["id"], KEMENKUMHAM, "PASPOR"),
        (hss["id"], DISDUKCAPIL, "KTP_EL"),
    ):
        opened = await _post(
            mall,
            f"/malls/{mall_id}/counters",
            {"agency_id": party.agency_id, "services": [service]},
        )
        assert opened.status_code == 201, opened.text
    await _post(mall, f"/malls/{sanggau['id']}/open", {"opened_at": "2020-12-10"})
    await _post(
        mall,
        f"/malls/{sanggau['id']}/inaugurate",
        {"inaugurated_at": "2022-05-24", "inaugurated_by": "Bupati Sanggau"},
    )

    response = await mall.client.get("/malls/stats")
    assert response.status_code == 200, response.text
    stats = response.json()
    coverage = {row["province_code"]: row for row in stats.pop("coverage")}
    assert len(coverage) == 38
    assert coverage["61"] == {
        "province_code": "61",
        "province_name": "Kalimantan Barat",
        "regencies": 14,
        "regencies_with_mall": 1,
        "malls": 1,
        "coverage": round(1 / 14, 4),
    }
    assert coverage["11"]["malls"] == 0 and coverage["11"]["regencies"] == 23
    assert stats == {
        "total": 3,
        "by_status": {"planned": 2, "operating": 0, "inaugurated": 1, "closed": 0},
        "by_province": [
            {"province_code": "35", "province_name": "Jawa Timur", "count": 1},
            {"province_code": "61", "province_name": "Kalimantan Barat", "count": 1},
            {"province_code": "63", "province_name": "Kalimantan Selatan", "count": 1},
        ],
        "counters": 4,
        "agencies": 3,
    }
