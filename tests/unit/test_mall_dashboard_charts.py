"""The dashboard's chart geometry: bars longest first, the line against the official points."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.mall.dashboard.charts import BAR_SPACE, growth_chart, province_bars
from services.mall.repository import MallStats, ProvinceCount
from services.mall.stats import DatedMall, coverage, timeline


def _stats(counts: dict[str, int]) -> MallStats:
    return MallStats(
        total=sum(counts.values()),
        by_status={"planned": 0, "operating": 0, "inaugurated": sum(counts.values()), "closed": 0},
        by_province=[
            ProvinceCount(province_code=code, province_name=code, count=n)
            for code, n in sorted(counts.items())
        ],
        counters=0,
        agencies=0,
        coverage=coverage([]),
    )


def test_bars_are_sorted_longest_first_and_scaled_to_the_longest() -> None:
    chart = province_bars(_stats({"11": 2, "35": 8, "61": 4}))
    assert [b.province_code for b in chart.bars] == ["35", "61", "11"]
    assert chart.bars[0].width == BAR_SPACE
    assert chart.bars[1].width == BAR_SPACE / 2
    assert chart.bars[0].regencies == 38  # Jawa Timur's regencies and cities


def test_the_growth_line_ends_at_the_last_months_serving_and_shows_official_points() -> None:
    at = datetime(2017, 10, 6, tzinfo=UTC)
    malls = [DatedMall(created_at=at, opened_at=at, inaugurated_at=at)] * 3
    result = timeline(malls, date(2018, 6, 30))
    chart = growth_chart(result, [(date(2018, 4, 21), 6), (date(2030, 1, 1), 999)])
    assert chart is not None
    assert len(chart.serving) == 9 and chart.serving[-1].value == 3
    assert [p.value for p in chart.official] == [6]  # only the points within the timeline
    assert [t.label for t in chart.x_ticks] == ["2018"]
    assert growth_chart(timeline([], date(2018, 1, 1)), []) is None
