"""The dashboard's charts as geometry: bars and lines in SVG user units, no markup.

The template draws them as inline SVG, so the figures are in the page as the server sent it
(no JavaScript, no fonts or scripts from elsewhere). Kept apart from the template so the
arithmetic is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.mall.repository import MallStats
from services.mall.stats import Timeline

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 230
BAR_SPACE = 420
CHART_WIDTH = 760
CHART_HEIGHT = 300
MARGIN = 40


@dataclass(frozen=True)
class Bar:
    province_code: str
    province_name: str
    count: int
    regencies: int
    regencies_with_mall: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: float
    label_width: float = LABEL_WIDTH
    width: float = LABEL_WIDTH + BAR_SPACE + 60


def province_bars(stats: MallStats) -> BarChart:
    """One bar per province with a mall, longest first (ties by name)."""
    coverage = {row.province_code: row for row in stats.coverage}
    ordered = sorted(stats.by_province, key=lambda p: (-p.count, p.province_name))
    top = max((p.count for p in ordered), default=1) or 1
    bars = []
    for i, province in enumerate(ordered):
        row = coverage.get(province.province_code)
        bars.append(
            Bar(
                province_code=province.province_code,
                province_name=province.province_name,
                count=province.count,
                regencies=row.regencies if row else 0,
                regencies_with_mall=row.regencies_with_mall if row else 0,
                y=i * (BAR_HEIGHT + BAR_GAP),
                width=round(BAR_SPACE * province.count / top, 1),
            )
        )
    return BarChart(bars=bars, height=max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class GrowthChart:
    serving: list[Point]
    """The loaded history: malls serving at each month's end."""
    official: list[Point]
    """The officially stated running totals."""
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: float = CHART_WIDTH
    height: float = CHART_HEIGHT
    margin: float = MARGIN

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.serving)


def _month_index(day: date, first: date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def growth_chart(timeline: Timeline, official: list[tuple[date, int]]) -> GrowthChart | None:
    """Serving malls month by month against the official totals; None without history."""
    if not timeline.months:
        return None
    first = date.fromisoformat(timeline.months[0].period + "-01")
    last = date.fromisoformat(timeline.months[-1].period + "-01")
    months = max(_month_index(last, first), 1)
    shown = [(d, n) for d, n in official if first <= d.replace(day=1) <= last]
    top = max([m.serving for m in timeline.months] + [n for _, n in shown] + [1])
    top = ((top + 49) // 50) * 50
    plot_w, plot_h = CHART_WIDTH - 2 * MARGIN, CHART_HEIGHT - 2 * MARGIN

    def x(index: float) -> float:
        return round(MARGIN + plot_w * index / months, 1)

    def y(value: int) -> float:
        return round(CHART_HEIGHT - MARGIN - plot_h * value / top, 1)

    serving = [
        Point(x(i), y(m.serving), m.period, m.serving) for i, m in enumerate(timeline.months)
    ]
    stated = [
        Point(x(_month_index(d, first) + (d.day - 1) / 31), y(n), d.isoformat(), n)
        for d, n in shown
    ]
    x_ticks = [
        Tick(x(_month_index(date(year, 1, 1), first)), str(year))
        for year in range(first.year + (first.month > 1), last.year + 1)
    ]
    y_ticks = [Tick(y(v), str(v)) for v in range(0, top + 1, max(top // 5, 1))]
    return GrowthChart(serving=serving, official=stated, x_ticks=x_ticks, y_ticks=y_ticks)
