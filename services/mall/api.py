"""HTTP resources of the mall service (DESIGN.md, "mall")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

from services.mall import commands, views
from services.mall.deps import Malls
from services.mall.domain import MallFilter
from services.mall.repository import MallStats
from shared.clock import UtcDateTime
from shared.events.catalogue import MAX_SERVICES, MallStatus
from shared.http.auth import require_scope
from shared.http.deps import Creating, Versioned, with_etag
from shared.http.fields import RequestBody
from shared.http.pagination import page_request
from shared.http.views import page_of
from shared.pagination import Page, PageRequest

router = APIRouter(prefix="/malls", tags=["malls"])
write = Depends(require_scope("mall:write"))


class RegionIn(RequestBody):
    province_code: str = Field(
        max_length=8,
        examples=["61"],
        description="Kemendagri code of one of the 38 provinces (GET /regions).",
    )
    regency_code: str = Field(
        max_length=8,
        examples=["61.03"],
        description="Kemendagri code PP.RR of a regency or city (kabupaten/kota) Kemendagri"
        " lists in that province (GET /regions?province=61); the province code itself for a"
        " province-level mall (MPP DKI Jakarta: 31).",
    )
    regency_name: str | None = Field(
        default=None,
        max_length=200,
        examples=["Kabupaten Sanggau"],
        description="Optional: the service fills in Kemendagri's official name; if given it"
        " must be that name (case, Kab./DKI abbreviations and the Kabupaten/Kota prefix aside).",
    )
    province_name: str | None = Field(
        default=None,
        max_length=100,
        description="Optional: filled in by the service; if given it must be the official name.",
    )


class MallCreate(RequestBody):
    name: str = Field(min_length=1, max_length=300, examples=["MPP Kabupaten Sanggau"])
    region: RegionIn
    address: str | None = Field(default=None, max_length=1000)


class Opening(RequestBody):
    opened_at: UtcDateTime | None = Field(
        default=None, description="When it started serving (default now); not in the future."
    )


class InaugurationSchedule(RequestBody):
    scheduled_for: UtcDateTime


class Inauguration(RequestBody):
    inaugurated_at: UtcDateTime | None = Field(
        default=None, description="When (default now); may be historic, not in the future."
    )
    inaugurated_by: str = Field(
        min_length=1, max_length=300, examples=["Bupati Sanggau", "Menteri PANRB"]
    )


class CounterCreate(RequestBody):
    agency_id: str = Field(min_length=1, max_length=100)
    services: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1,
        max_length=MAX_SERVICES,
        description="Layanan codes, each one the agency offers.",
        examples=[["PASPOR"]],
    )
    opened_at: UtcDateTime | None = Field(
        default=None, description="When it opened (default now); not in the future."
    )


class Closure(RequestBody):
    reason: str | None = Field(default=None, max_length=1000)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def plan_mall(body: MallCreate, creating: Creating) -> views.Mall:
    """Register a planned mall for a regency or city; publishes `mall.planned`.

    At most one mall that is not closed per regency (409).
    """
    command = commands.PlanMall(
        name=body.name,
        province_code=body.region.province_code,
        regency_code=body.region.regency_code,
        regency_name=body.region.regency_name,
        province_name=body.region.province_name,
        address=body.address,
    )
    return await creating.answer(views.Mall, command, read_at="get_mall", id_param="mall_id")


@router.get("")
async def list_malls(
    malls: Malls,
    status: MallStatus | None = Query(None),
    province_code: str | None = Query(
        None, max_length=8, description="Kemendagri province code, e.g. 61."
    ),
    regency_code: str | None = Query(
        None, max_length=8, description="Kemendagri regency code, e.g. 61.03."
    ),
    page: PageRequest = Depends(page_request),
) -> Page[views.Mall]:
    filters = MallFilter(status=status, province_code=province_code, regency_code=regency_code)
    return page_of(views.Mall, await malls.list(filters, page))


@router.get("/stats")
async def mall_stats(malls: Malls) -> MallStats:
    """Malls by status and by province, and the open counters and distinct agencies in the
    malls that are not closed."""
    return await malls.stats()


@router.get("/{mall_id}", name="get_mall")
async def get_mall(mall_id: str, response: Response, malls: Malls) -> views.Mall:
    return views.Mall.from_aggregate(with_etag(response, await malls.get(mall_id)))


@router.post("/{mall_id}/open", dependencies=[write])
async def open_mall(mall_id: str, change: Versioned, body: Opening | None = None) -> views.Mall:
    """A planned mall starts serving (soft launch); publishes `mall.opened`."""
    command = commands.OpenMall(mall_id=mall_id, opened_at=body.opened_at if body else None)
    return await change.answer(views.Mall, command)


@router.post("/{mall_id}/inauguration", dependencies=[write])
async def schedule_inauguration(
    mall_id: str, body: InaugurationSchedule, change: Versioned
) -> views.Mall:
    """Set or move the inauguration date; publishes `mall.inauguration_scheduled`."""
    command = commands.ScheduleInauguration(mall_id=mall_id, scheduled_for=body.scheduled_for)
    return await change.answer(views.Mall, command)


@router.post("/{mall_id}/inaugurate", dependencies=[write])
async def inaugurate_mall(mall_id: str, body: Inauguration, change: Versioned) -> views.Mall:
    """Record the official inauguration (peresmian); publishes `mall.inaugurated`."""
    command = commands.InaugurateMall(
        mall_id=mall_id, inaugurated_at=body.inaugurated_at, inaugurated_by=body.inaugurated_by
    )
    return await change.answer(views.Mall, command)


@router.post("/{mall_id}/counters", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def open_counter(mall_id: str, body: CounterCreate, change: Versioned) -> views.Mall:
    """An agency opens its counter (gerai); publishes `mall.counter_opened`.

    An agency that is not a local government needs to be a party to an MoU in force (409).
    """
    command = commands.OpenCounter(
        mall_id=mall_id, agency_id=body.agency_id, services=body.services, opened_at=body.opened_at
    )
    return await change.answer(views.Mall, command)


@router.delete("/{mall_id}/counters/{agency_id}", dependencies=[write])
async def close_counter(mall_id: str, agency_id: str, change: Versioned) -> views.Mall:
    """The agency's counter closes; publishes `mall.counter_closed`."""
    command = commands.CloseCounter(mall_id=mall_id, agency_id=agency_id)
    return await change.answer(views.Mall, command)


@router.post("/{mall_id}/close", dependencies=[write])
async def close_mall(mall_id: str, change: Versioned, body: Closure | None = None) -> views.Mall:
    """It stops operating; publishes `mall.closed`. Its regency may then get a new mall."""
    command = commands.CloseMall(mall_id=mall_id, reason=body.reason if body else None)
    return await change.answer(views.Mall, command)
