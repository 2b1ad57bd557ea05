"""The programme's figures over space and time: coverage by province and the timeline.

Pure functions over what the repository reads (no I/O here), so the rules are tested
without a store. A mall counts where it is on a date by its recorded dates: closed from
``closed_at``, inaugurated from ``inaugurated_at``, operating from ``opened_at`` (a mall
inaugurated without a soft launch opened that day), planned from when it was registered.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from services.mall.domain import STATUSES
from services.mall.regions import PROVINCES, regencies_in
from shared.clock import UtcDateTime
from shared.events.catalogue import MallStatus


class ProvinceCoverage(BaseModel):
    """How far a province is covered: its malls against its regencies and cities."""

    province_code: str
    province_name: str
    regencies: int
    """Regencies and cities (kabupaten/kota) Kemendagri lists in the province."""
    regencies_with_mall: int
    """Of those, the ones with a mall that is not closed."""
    malls: int
    """Malls not closed in the province, a province-level mall included."""
    coverage: float
    """``regencies_with_mall / regencies``, 0 to 1, rounded to 4 places."""


class DatedMall(BaseModel):
    """What the timeline needs of a stored mall."""

    model_config = ConfigDict(extra="ignore")

    created_at: UtcDateTime
    opened_at: UtcDateTime | None = None
    inaugurated_at: UtcDateTime | None = None
    closed_at: UtcDateTime | None = None

    def status_on(self, day: date) -> MallStatus | None:
        """Its status at the end of ``day``; None if it was not yet registered nor dated."""
        for status, at in (
            ("closed", self.closed_at),
            ("inaugurated", self.inaugurated_at),
            ("operating", self.opened_at),
            ("planned", self.created_at),
        ):
            if at is not None and at.date() <= day:
                return status  # type: ignore[return-value]
        return None


class Period(BaseModel):
    """Counts for one month (``2022-05``) or year (``2022``)."""

    period: str
    opened: int
    """Malls that started serving in the period (soft launch, or inaugurated directly)."""
    inaugurated: int
    closed: int
    by_status: dict[str, int]
    """Malls in each status at the period's end (or today, for the current one)."""
    serving: int
    """Operating or inaugurated at the period's end: the programme's running total."""


class Timeline(BaseModel):
    """``GET /malls/stats/timeline``: from the earliest recorded month to this one."""

    months: list[Period]
    years: list[Period]


def coverage(active: Iterable[tuple[str, str]]) -> list[ProvinceCoverage]:
    """Every province's coverage, by code, from the (province, regency) of malls not closed."""
    malls: Tally[str] = Tally()
    covered: dict[str, set[str]] = {code: set() for code in PROVINCES}
    for province_code, regency_code in active:
        malls[province_code] += 1
        if regency_code != province_code and province_code in covered:
            covered[province_code].add(regency_code)
    rows = []
    for code, name in sorted(PROVINCES.items()):
        regencies = len(regencies_in(code))
        with_mall = len(covered[code])
        rows.append(
            ProvinceCoverage(
                province_code=code,
                province_name=name,
                regencies=regencies,
                regencies_with_mall=with_mall,
                malls=malls[code],
                coverage=round(with_mall / regencies, 4) if regencies else 0.0,
            )
        )
    return rows


def _month_ends(first: date, last: date) -> list[tuple[str, date]]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = date(year + (month == 12), month % 12 + 1, 1)
        end = min(date.fromordinal(following.toordinal() - 1), last)
        months.append((f"{year:04d}-{month:02d}", end))
        year, month = following.year, following.month
    return months


def _period(name: str, end: date, in_period: str, malls: list[DatedMall]) -> Period:
    def happened(at: datetime | None) -> bool:
        return at is not None and at.date().isoformat().startswith(in_period)

    by_status: Tally[str] = Tally(s for m in malls if (s := m.status_on(end)) is not None)
    return Period(
        period=name,
        opened=sum(happened(m.opened_at) for m in malls),
        inaugurated=sum(happened(m.inaugurated_at) for m in malls),
        closed=sum(happened(m.closed_at) for m in malls),
        by_status={status: by_status.get(status, 0) for status in STATUSES},
        serving=by_status["operating"] + by_status["inaugurated"],
    )


def timeline(malls: Iterable[DatedMall], today: date) -> Timeline:
    """Counts by month and by year, from the earliest month any mall has a date in."""
    dated = list(malls)
    moments = [
        at.date()
        for m in dated
        for at in (m.created_at, m.opened_at, m.inaugurated_at, m.closed_at)
        if at is not None
    ]
    if not moments:
        return Timeline(months=[], years=[])
    first = min(moments)
    months = [_period(name, end, name, dated) for name, end in _month_ends(first, today)]
    years = [
        _period(str(year), min(date(year, 12, 31), today), str(year), dated)
        for year in range(first.year, today.year + 1)
    ]
    return Timeline(months=months, years=years)
