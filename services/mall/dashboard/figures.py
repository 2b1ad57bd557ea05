"""What the dashboard shows, read from the same places the API reads (one source of truth),
and where it finds notify and the official totals."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.mall.projections import MouRegister
from services.mall.repository import MallRepository, MallStats
from services.mall.stats import Timeline, timeline
from shared.clock import utcnow

OFFICIAL_TOTALS = Path(__file__).resolve().parents[3] / "data" / "mpp-totals.csv"


class DashboardSettings(BaseSettings):
    """The dashboard's settings, from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    mpp_notify_url: str = Field(
        default="http://localhost:8004",
        description="notify's base URL: the dashboard relays its live feed from there.",
    )
    mpp_official_totals: Path = Field(
        default=OFFICIAL_TOTALS,
        description="CSV of the officially stated running totals (date,total_malls,...).",
    )


@dataclass(frozen=True)
class Figures:
    stats: MallStats
    timeline: Timeline
    mous_in_force: int
    official: list[tuple[date, int]]
    generated_at: datetime

    @property
    def serving(self) -> int:
        """Malls operating or inaugurated now: the programme's running total."""
        return self.stats.by_status["operating"] + self.stats.by_status["inaugurated"]

    @property
    def provinces_with_mall(self) -> int:
        return len(self.stats.by_province)

    @property
    def latest_official(self) -> tuple[date, int] | None:
        return self.official[-1] if self.official else None


def read_official_totals(path: Path) -> list[tuple[date, int]]:
    """The stated totals in date order; empty if the file is not there (the chart says so)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(file)
        return sorted((date.fromisoformat(r["date"]), int(r["total_malls"])) for r in rows)


async def gather(malls: MallRepository, mous: MouRegister, totals: Path) -> Figures:
    now = utcnow()
    return Figures(
        stats=await malls.stats(),
        timeline=timeline(await malls.dated(), now.date()),
        mous_in_force=await mous.count_in_force(),
        official=read_official_totals(totals),
        generated_at=now,
    )
