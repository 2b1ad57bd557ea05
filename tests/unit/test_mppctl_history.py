"""The programme's history as seed data: every row loadable, read the way the README says."""

from __future__ import annotations

from collections import Counter
from datetime import date

from mppctl.history import HistoricMall, HistorySeeder, read_history, read_totals
from mppctl.seed import SeedReport
from services.mall.regions import PROVINCES, region_of
from tests.support.fake_mpp import PROVINCES as FAKE_PROVINCES
from tests.support.fake_mpp import FakeMpp


def test_the_record_has_299_malls_in_35_provinces_from_october_2017() -> None:
    rows = read_history()
    assert len(rows) == 299
    assert len({r.region_code for r in rows}) == 299  # one row per region
    assert len({r.province_code for r in rows}) == 35
    assert min(r.day for r in rows) == date(2017, 10, 6)
    assert Counter(r.event for r in rows) == {"inaugurated": 284, "opened": 8, "soft_launch": 7}


def test_every_row_is_a_region_kemendagri_lists_under_its_official_names() -> None:
    for row in read_history():
        region = region_of(
            province_code=row.province_code,
            regency_code=row.region_code,
            regency_name=row.region_name,
            province_name_given=row.province_name,
        )
        assert region.regency_name == row.region_name
        assert PROVINCES[row.province_code] == row.province_name


def _row(batch: str, mall_name: str = "") -> HistoricMall:
    return HistoricMall(
        region_code="61.03",
        region_name="Kabupaten Sanggau",
        province_code="61",
        province_name="Kalimantan Barat",
        mall_name=mall_name,
        event="inaugurated",
        day=date(2022, 5, 24),
        precision="day",
        batch=batch,
        source_url="menpan.go.id",
    )


def test_a_joint_batch_is_told_apart_from_a_single_inauguration() -> None:
    joint = _row("2024-12-12 batch of 42")
    assert joint.joint and joint.inaugurated_by == "joint inauguration (2024-12-12 batch of 42)"
    single = _row("single (Menteri PANRB)", mall_name="MPP Sanggau")
    assert not single.joint and single.inaugurated_by == "Menteri PANRB"
    assert single.name == "MPP Sanggau" and _row("single").name == "MPP Kabupaten Sanggau"
    assert _row("single").inaugurated_by == "not recorded"
    assert single.at.isoformat() == "2022-05-24T10:00:00+07:00"


def test_the_official_totals_run_from_6_in_2018_to_305_in_december_2025() -> None:
    totals = read_totals()
    assert len(totals) == 41
    assert totals[0] == (date(2018, 4, 21), 6)
    assert totals[-1] == (date(2025, 12, 15), 305)


def test_loading_the_history_twice_plans_opens_and_inaugurates_once() -> None:
    fake = FakeMpp()
    rows = [r for r in read_history() if r.province_code in FAKE_PROVINCES]
    first = SeedReport()
    HistorySeeder(fake.client(), first, rows=rows, workers=4).run()
    assert first.count("created") == len(rows)
    by_region = {m["region"]["regency_code"]: m for m in fake.malls.values()}
    assert len(by_region) == len(rows)
    banyuwangi = by_region["35.10"]  # inaugurated alone, 6 October 2017
    assert banyuwangi["status"] == "inaugurated"
    assert banyuwangi["inaugurated_at"].startswith("2017-10-06T10:00:00+07:00")
    assert banyuwangi["inauguration_scheduled_for"] is None
    joint = next(r for r in rows if r.joint)
    assert by_region[joint.region_code]["inauguration_scheduled_for"].startswith(
        joint.day.isoformat()
    )
    opened = next(r for r in rows if r.event != "inaugurated")
    assert by_region[opened.region_code]["status"] == "operating"

    writes = len(fake.writes)
    second = SeedReport()
    HistorySeeder(fake.client(), second, rows=rows, workers=4).run()
    assert not second.changed
    assert len(fake.writes) == writes
