"""Coverage by province and the timeline, from recorded dates (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.mall.stats import DatedMall, coverage, timeline


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


NOW = "2026-11-20"
HISTORY = [
    DatedMall(created_at=_at(NOW), opened_at=_at("2017-10-06"), inaugurated_at=_at("2017-10-06")),
    DatedMall(created_at=_at(NOW), opened_at=_at("2018-01-01")),
    DatedMall(
        created_at=_at(NOW),
        opened_at=_at("2017-12-10"),
        inaugurated_at=_at("2018-02-03"),
        closed_at=_at("2019-05-01"),
    ),
    DatedMall(created_at=_at(NOW)),
]


def test_the_timeline_runs_month_by_month_from_the_earliest_recorded_date() -> None:
    result = timeline(HISTORY, date(2026, 11, 20))
    months = {m.period: m for m in result.months}
    assert result.months[0].period == "2017-10"
    assert result.months[-1].period == "2026-11"
    assert len(result.months) == 12 * 9 + 2
    assert months["2017-10"].opened == 1 and months["2017-10"].serving == 1
    assert months["2017-12"].by_status == {
        "planned": 0, "operating": 1, "inaugurated": 1, "closed": 0
    }  # fmt: skip
    assert months["2018-02"].inaugurated == 1 and months["2018-02"].serving == 3
    assert months["2019-05"].closed == 1 and months["2019-05"].serving == 2
    assert months["2026-11"].by_status["planned"] == 1


def test_the_years_add_up_the_months_and_end_with_the_status_at_years_end() -> None:
    result = timeline(HISTORY, date(2026, 11, 20))
    years = {y.period: y for y in result.years}
    assert [y.period for y in result.years] == [str(y) for y in range(2017, 2027)]
    for year, counts in years.items():
        in_year = [m for m in result.months if m.period.startswith(year)]
        assert counts.opened == sum(m.opened for m in in_year)
        assert counts.inaugurated == sum(m.inaugurated for m in in_year)
        assert counts.by_status == in_year[-1].by_status
    assert years["2018"].serving == 3


def test_an_empty_programme_has_an_empty_timeline() -> None:
    result = timeline([], date(2026, 11, 20))
    assert result.months == [] and result.years == []


def test_coverage_counts_regencies_with_a_mall_and_province_level_malls_apart() -> None:
    rows = {r.province_code: r for r in coverage([("61", "61.03"), ("61", "61.71"), ("31", "31")])}
    assert len(rows) == 38
    assert (rows["61"].malls, rows["61"].regencies_with_mall, rows["61"].regencies) == (2, 2, 14)
    assert rows["61"].coverage == round(2 / 14, 4)
    assert (rows["31"].malls, rows["31"].regencies_with_mall) == (1, 0)
