"""HTTP resources on the programme as a whole: Kemendagri's regions and the timeline."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.mall.deps import Malls
from services.mall.regions import PROVINCES, province_name, regencies_in
from services.mall.stats import Timeline, timeline
from shared.clock import utcnow

router = APIRouter(tags=["programme"])


class RegionItem(BaseModel):
    code: str
    """Kemendagri code: ``61`` for a province, ``61.03`` for a regency or city."""
    name: str
    """Kemendagri's official name."""
    has_mall: bool
    """Whether it has a mall that is not closed (for a province: any of its own or its
    regencies' and cities')."""


class RegionList(BaseModel):
    items: list[RegionItem]


@router.get("/regions")
async def list_regions(
    malls: Malls,
    province: str | None = Query(
        None,
        max_length=8,
        description="A province's Kemendagri code (61): list its regencies and cities."
        " Without it: the 38 provinces.",
    ),
) -> RegionList:
    """Kemendagri's provinces, or one province's regencies and cities, with official names
    and whether each has a mall that is not closed."""
    if province is None:
        held = await malls.regencies_with_mall()
        provinces_with_mall = {code.split(".", 1)[0] for code in held}
        return RegionList(
            items=[
                RegionItem(code=code, name=name, has_mall=code in provinces_with_mall)
                for code, name in sorted(PROVINCES.items())
            ]
        )
    province_name(province, field="province")
    held = await malls.regencies_with_mall(province)
    return RegionList(
        items=[
            RegionItem(code=place.code, name=place.name, has_mall=place.code in held)
            for place in regencies_in(province)
        ]
    )


@router.get("/malls/stats/timeline")
async def mall_timeline(malls: Malls) -> Timeline:
    """Counts by month and by year, from the earliest recorded month to this one: malls
    opened, inaugurated and closed in each, those in each status at its end, and those
    serving (operating or inaugurated), the programme's running total."""
    return timeline(await malls.dated(), utcnow().date())
