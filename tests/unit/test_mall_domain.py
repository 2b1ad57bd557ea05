"""The mall's rules, without I/O: regions, every lifecycle transition, counters and flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.mall.domain import Mall
from services.mall.regions import PROVINCES, region_of
from shared.clock import utcnow
from shared.errors import Conflict, InvalidTransition, NotFound, PreconditionFailed, RuleViolated
from shared.events.catalogue import AgencyService, MallStatus
from shared.projections.agencies import KnownAgency
from tests.support.reference_malls import (
    DKI_JAKARTA,
    HULU_SUNGAI_SELATAN,
    REFERENCE_MALLS,
    SANGGAU,
    ReferenceMall,
)

MAY_24 = datetime(2022, 5, 24, 3, 0, tzinfo=UTC)
DEC_10_2020 = datetime(2020, 12, 10, tzinfo=UTC)


def _planned(reference: ReferenceMall = SANGGAU) -> Mall:
    mall = Mall.plan(name=reference.name, address=reference.address, **reference.region)
    mall.collect_events()
    mall.mark_loaded()
    return mall


def _in_state(status: MallStatus) -> Mall:
    mall = _planned()
    if status in ("operating", "inaugurated"):
        mall.open(DEC_10_2020)
    if status == "inaugurated":
        mall.inaugurate("Bupati Sanggau", MAY_24)
    if status == "closed":
        mall.close("test")
    mall.collect_events()
    return mall


def _agency(**overrides: Any) -> KnownAgency:
    values: dict[str, Any] = {
        "agency_id": "agc_kumham",
        "version": 1,
        "code": "KEMENKUMHAM",
        "name": "Kementerian Hukum dan HAM",
        "kind": "ministry",
        "services": [
            AgencyService(code="PASPOR", name="Permohonan paspor"),
            AgencyService(code="PASPOR_GANTI", name="Penggantian paspor"),
        ],
        "status": "active",
    }
    values.update(overrides)
    return KnownAgency(**values)


DISDUKCAPIL = {
    "agency_id": "agc_dukcapil_sanggau",
    "code": "DISDUKCAPIL_SANGGAU",
    "name": "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sanggau",
    "kind": "local_government",
    "services": [AgencyService(code="KTP_EL", name="KTP elektronik")],
}


# --- regions -------------------------------------------------------------------------------


def test_the_service_ships_the_38_provinces_by_kemendagri_code() -> None:
    assert len(PROVINCES) == 38
    assert PROVINCES["61"] == "Kalimantan Barat"
    assert PROVINCES["63"] == "Kalimantan Selatan"
    assert PROVINCES["96"] == "Papua Barat Daya"
    assert all(len(code) == 2 and code.isdigit() for code in PROVINCES)


def test_planning_records_mall_planned_with_the_region_and_the_province_name_filled_in() -> None:
    mall = Mall.plan(
        name="MPP Kabupaten Sanggau",
        province_code="61",
        regency_code="61.03",
        regency_name="Kabupaten Sanggau",
    )
    [event] = mall.collect_events()
    assert mall.id.startswith("mall_")
    assert mall.status == "planned"
    assert mall.version == 1
    assert event.type == "mall.planned"
    data = event.data.model_dump(mode="json")
    assert data["mall_id"] == mall.id
    assert data["version"] == 1
    assert data["name"] == SANGGAU.name == "MPP Kabupaten Sanggau"
    assert data["status"] == "planned"
    assert data["region"] == {**SANGGAU.region, "province_name": "Kalimantan Barat"}


@pytest.mark.parametrize("reference", REFERENCE_MALLS, ids=lambda m: m.regency_code)
def test_every_reference_mall_can_be_planned_in_its_region(reference: ReferenceMall) -> None:
    mall = _planned(reference)
    assert mall.region.province_name == reference.province_name
    assert mall.region.regency_code == reference.regency_code


def test_a_province_level_mall_uses_the_province_code_as_its_regency_code() -> None:
    mall = _planned(DKI_JAKARTA)
    assert mall.region.regency_code == "31"
    assert mall.region.province_name == "Daerah Khusus Ibukota Jakarta"


@pytest.mark.parametrize(
    ("province_code", "regency_code", "field"),
    [
        ("99", "99.01", "region.province_code"),  # no such province
        ("20", "20.01", "region.province_code"),
        ("6", "61.03", "region.province_code"),  # malformed
        ("061", "61.03", "region.province_code"),
        ("61", "63.06", "region.regency_code"),  # another province's regency
        ("61", "6103", "region.regency_code"),  # malformed
        ("61", "61.3", "region.regency_code"),
        ("61", "62", "region.regency_code"),  # only its own province's code stands alone
        ("61", "61.03.01", "region.regency_code"),  # a district, not a regency
    ],
)
def test_an_unknown_province_or_a_regency_outside_its_province_is_refused_naming_the_field(
    province_code: str, regency_code: str, field: str
) -> None:
    with pytest.raises(RuleViolated) as refused:
        Mall.plan(
            name="MPP X",
            province_code=province_code,
            regency_code=regency_code,
            regency_name="Kabupaten X",
        )
    assert refused.value.field == field


def test_a_province_name_that_is_not_the_official_one_is_refused() -> None:
    with pytest.raises(RuleViolated) as refused:
        region_of(
            province_code="61",
            regency_code="61.03",
            regency_name="Kabupaten Sanggau",
            province_name_given="Kalimantan Timur",
        )
    assert refused.value.field == "region.province_name"
    region = region_of(
        province_code="61",
        regency_code="61.03",
        regency_name="Kabupaten Sanggau",
        province_name_given="kalimantan barat",
    )
    assert region.province_name == "Kalimantan Barat"


def test_a_blank_name_or_regency_name_is_refused() -> None:
    with pytest.raises(RuleViolated) as blank_name:
        Mall.plan(name="  ", province_code="61", regency_code="61.03", regency_name="Sanggau")
    assert blank_name.value.field == "name"
    with pytest.raises(RuleViolated) as blank_regency:
        Mall.plan(name="MPP", province_code="61", regency_code="61.03", regency_name=" ")
    assert blank_regency.value.field == "region.regency_name"


# --- lifecycle -----------------------------------------------------------------------------


def test_opening_a_planned_mall_makes_it_operating_and_records_mall_opened() -> None:
    mall = _planned()
    mall.open(DEC_10_2020)
    [event] = mall.collect_events()
    assert mall.status == "operating"
    assert mall.opened_at == DEC_10_2020
    assert mall.version == 2
    assert event.type == "mall.opened"
    assert event.data.model_dump()["opened_at"] == DEC_10_2020
    assert event.data.model_dump()["version"] == 2
    assert event.data.model_dump()["region"]["regency_code"] == "61.03"


def test_opening_without_a_time_opens_now() -> None:
    mall = _planned()
    before = utcnow()
    mall.open()
    assert mall.opened_at is not None and mall.opened_at >= before


@pytest.mark.parametrize("status", ["operating", "inaugurated", "closed"])
def test_only_a_planned_mall_can_open(status: MallStatus) -> None:
    mall = _in_state(status)
    with pytest.raises(InvalidTransition) as refused:
        mall.open()
    assert refused.value.extensions["current_state"] == status
    assert mall.collect_events() == []


def test_an_opening_in_the_future_is_refused() -> None:
    with pytest.raises(RuleViolated) as refused:
        _planned().open(utcnow() + timedelta(days=2))
    assert refused.value.field == "opened_at"


@pytest.mark.parametrize("status", ["planned", "operating"])
def test_an_inauguration_can_be_scheduled_for_a_planned_or_operating_mall(
    status: MallStatus,
) -> None:
    mall = _in_state(status)
    version = mall.version
    mall.schedule_inauguration(MAY_24)
    [event] = mall.collect_events()
    assert mall.inauguration_scheduled_for == MAY_24
    assert mall.status == status
    assert event.type == "mall.inauguration_scheduled"
    assert event.data.model_dump()["scheduled_for"] == MAY_24
    assert event.data.version == version + 1


def test_an_inauguration_can_be_moved_and_scheduled_in_the_future() -> None:
    mall = _planned()
    later = utcnow() + timedelta(days=30)
    mall.schedule_inauguration(MAY_24)
    mall.schedule_inauguration(later)
    events = mall.collect_events()
    assert [e.type for e in events] == ["mall.inauguration_scheduled"] * 2
    assert mall.inauguration_scheduled_for == later


@pytest.mark.parametrize("status", ["inaugurated", "closed"])
def test_an_inaugurated_or_closed_mall_gets_no_inauguration_date(status: MallStatus) -> None:
    with pytest.raises(InvalidTransition) as refused:
        _in_state(status).schedule_inauguration(MAY_24)
    assert refused.value.extensions["current_state"] == status


def test_inaugurating_an_operating_mall_records_who_and_when() -> None:
    mall = _in_state("operating")
    mall.schedule_inauguration(MAY_24)
    mall.inaugurate("Bupati Sanggau", MAY_24)
    events = mall.collect_events()
    assert mall.status == "inaugurated"
    assert mall.inaugurated_at == MAY_24
    assert mall.inaugurated_by == "Bupati Sanggau"
    assert mall.opened_at == DEC_10_2020
    assert events[-1].type == "mall.inaugurated"
    data = events[-1].data.model_dump(mode="json")
    assert data["inaugurated_by"] == "Bupati Sanggau"
    assert data["inaugurated_at"].startswith("2022-05-24")
    assert data["region"]["regency_code"] == "61.03"
    assert data["version"] == mall.version == 4


def test_a_planned_mall_may_be_inaugurated_directly_and_then_counts_as_open() -> None:
    mall = _planned(HULU_SUNGAI_SELATAN)
    may_31 = datetime(2022, 5, 31, tzinfo=UTC)
    mall.inaugurate("Bupati Hulu Sungai Selatan", may_31)
    [event] = mall.collect_events()
    assert event.type == "mall.inaugurated"
    assert mall.status == "inaugurated"
    assert mall.opened_at == may_31


def test_an_operating_mall_cannot_have_been_inaugurated_before_it_opened() -> None:
    mall = _in_state("operating")
    with pytest.raises(RuleViolated) as refused:
        mall.inaugurate("Bupati Sanggau", DEC_10_2020 - timedelta(days=1))
    assert refused.value.field == "inaugurated_at"
    assert mall.status == "operating"


def test_an_inauguration_in_the_future_or_by_nobody_is_refused() -> None:
    with pytest.raises(RuleViolated) as future:
        _planned().inaugurate("Menteri PANRB", utcnow() + timedelta(days=1))
    assert future.value.field == "inaugurated_at"
    with pytest.raises(RuleViolated) as nobody:
        _planned().inaugurate("   ", MAY_24)
    assert nobody.value.field == "inaugurated_by"


@pytest.mark.parametrize("status", ["inaugurated", "closed"])
def test_an_inaugurated_or_closed_mall_cannot_be_inaugurated(status: MallStatus) -> None:
    with pytest.raises(InvalidTransition) as refused:
        _in_state(status).inaugurate("Menteri PANRB", MAY_24)
    assert refused.value.extensions["current_state"] == status


@pytest.mark.parametrize("status", ["planned", "operating", "inaugurated"])
def test_any_mall_that_is_not_closed_can_close(status: MallStatus) -> None:
    mall = _in_state(status)
    mall.close("moved to a new building")
    [event] = mall.collect_events()
    assert mall.status == "closed"
    assert mall.closure_reason == "moved to a new building"
    assert event.type == "mall.closed"
    assert event.data.model_dump()["reason"] == "moved to a new building"


def test_a_closed_mall_cannot_close_again() -> None:
    with pytest.raises(InvalidTransition) as refused:
        _in_state("closed").close()
    assert refused.value.extensions["current_state"] == "closed"


def test_a_change_based_on_a_stale_version_is_refused() -> None:
    mall = _in_state("operating")
    with pytest.raises(PreconditionFailed):
        mall.ensure_version(1)
    mall.ensure_version(2)


# --- counters ------------------------------------------------------------------------------


def test_an_agency_with_an_mou_in_force_opens_a_counter_with_services_it_offers() -> None:
    mall = _in_state("operating")
    counter = mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    [event] = mall.collect_events()
    assert mall.counters == [counter]
    assert counter.code == "KEMENKUMHAM"
    assert counter.flagged is False
    assert event.type == "mall.counter_opened"
    data = event.data.model_dump(mode="json")
    assert data["counter"]["agency_id"] == "agc_kumham"
    assert data["counter"]["services"] == ["PASPOR"]
    assert data["region"]["regency_name"] == "Kabupaten Sanggau"
    assert data["version"] == mall.version == 3


def test_an_agency_without_an_mou_in_force_cannot_open_a_counter() -> None:
    mall = _in_state("operating")
    with pytest.raises(Conflict) as refused:
        mall.open_counter(_agency(), ["PASPOR"], mou_in_force=False)
    assert "MoU in force" in refused.value.detail
    assert refused.value.extensions["reason"] == "no_mou_in_force"
    assert mall.counters == []


@pytest.mark.parametrize("kind", ["ministry", "agency", "soe", "public_body", None])
def test_every_kind_but_local_government_needs_an_mou_in_force(kind: str | None) -> None:
    with pytest.raises(Conflict):
        _in_state("planned").open_counter(_agency(kind=kind), ["PASPOR"], mou_in_force=False)


def test_a_local_government_agency_opens_a_counter_without_any_mou() -> None:
    mall = _in_state("inaugurated")
    counter = mall.open_counter(_agency(**DISDUKCAPIL), ["KTP_EL"], mou_in_force=False)
    assert counter.flagged is False


def test_an_inactive_agency_cannot_open_a_counter() -> None:
    with pytest.raises(Conflict) as refused:
        _in_state("operating").open_counter(
            _agency(status="inactive"), ["PASPOR"], mou_in_force=True
        )
    assert refused.value.extensions["agency_status"] == "inactive"


@pytest.mark.parametrize(
    ("services", "field"),
    [
        (["PASPOR", "SKCK"], "services.1"),  # not offered by this agency
        (["PASPOR", "PASPOR"], "services.1"),
        ([], "services"),
    ],
)
def test_counter_services_must_be_ones_the_agency_offers(services: list[str], field: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        _in_state("operating").open_counter(_agency(), services, mou_in_force=True)
    assert refused.value.field == field


def test_an_agency_has_one_counter_per_mall() -> None:
    mall = _in_state("operating")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    with pytest.raises(Conflict):
        mall.open_counter(_agency(), ["PASPOR_GANTI"], mou_in_force=True)


def test_a_counter_may_open_in_a_planned_mall_but_not_in_a_closed_one() -> None:
    _in_state("planned").open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    with pytest.raises(InvalidTransition) as refused:
        _in_state("closed").open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    assert refused.value.extensions["current_state"] == "closed"


def test_a_counter_opened_in_the_future_is_refused_and_a_historic_one_is_kept() -> None:
    mall = _in_state("operating")
    with pytest.raises(RuleViolated) as refused:
        mall.open_counter(
            _agency(), ["PASPOR"], mou_in_force=True, opened_at=utcnow() + timedelta(hours=1)
        )
    assert refused.value.field == "opened_at"
    counter = mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True, opened_at=MAY_24)
    assert counter.opened_at == MAY_24


def test_closing_a_counter_removes_it_and_records_mall_counter_closed() -> None:
    mall = _in_state("operating")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.collect_events()
    mall.close_counter("agc_kumham")
    [event] = mall.collect_events()
    assert mall.counters == []
    assert event.type == "mall.counter_closed"
    data = event.data.model_dump()
    assert (data["agency_id"], data["code"]) == ("agc_kumham", "KEMENKUMHAM")
    assert data["agency_name"] == "Kementerian Hukum dan HAM"
    # Closed, it can open again.
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)


def test_closing_a_counter_that_is_not_there_is_not_found() -> None:
    with pytest.raises(NotFound):
        _in_state("operating").close_counter("agc_nobody")


def test_the_counters_of_a_closed_mall_stay_as_they_were() -> None:
    mall = _in_state("operating")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.close()
    with pytest.raises(InvalidTransition):
        mall.close_counter("agc_kumham")
    assert [c.agency_id for c in mall.counters] == ["agc_kumham"]


def test_flagging_a_counter_records_mall_counter_flagged_once() -> None:
    mall = _in_state("inaugurated")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.collect_events()
    version = mall.version

    assert mall.flag_counter("agc_kumham", True, "no MoU in force: MoU 2022 was terminated")
    assert not mall.flag_counter("agc_kumham", True, "again")
    [event] = mall.collect_events()
    counter = mall.counters[0]
    assert (counter.flagged, counter.flag_reason) == (
        True,
        "no MoU in force: MoU 2022 was terminated",
    )
    assert event.type == "mall.counter_flagged"
    data = event.data.model_dump()
    assert data["flagged"] is True
    assert data["code"] == "KEMENKUMHAM"
    assert data["reason"] == "no MoU in force: MoU 2022 was terminated"
    assert mall.version == data["version"] == version + 1


def test_clearing_a_flag_records_mall_counter_flagged_false() -> None:
    mall = _in_state("operating")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.flag_counter("agc_kumham", True, "no MoU in force")
    mall.collect_events()
    assert mall.flag_counter("agc_kumham", False)
    [event] = mall.collect_events()
    assert event.data.model_dump()["flagged"] is False
    assert (mall.counters[0].flagged, mall.counters[0].flag_reason) == (False, None)


def test_nothing_is_flagged_in_a_closed_mall_or_without_a_counter() -> None:
    mall = _in_state("operating")
    assert not mall.flag_counter("agc_kumham", True, "no MoU in force")
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.close()
    mall.collect_events()
    assert not mall.flag_counter("agc_kumham", True, "no MoU in force")
    assert mall.collect_events() == []


def test_each_command_moves_the_version_by_one_and_its_event_carries_it() -> None:
    mall = Mall.plan(
        name=SANGGAU.name, province_code="61", regency_code="61.03", regency_name="Sanggau"
    )
    mall.open(DEC_10_2020)
    mall.schedule_inauguration(MAY_24)
    mall.open_counter(_agency(), ["PASPOR"], mou_in_force=True)
    mall.inaugurate("Bupati Sanggau", MAY_24)
    mall.flag_counter("agc_kumham", True, "no MoU in force")
    mall.close_counter("agc_kumham")
    mall.close()
    events = mall.collect_events()
    assert [e.data.version for e in events] == list(range(1, 9))
    assert mall.version == 8
