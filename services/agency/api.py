"""HTTP resources of the agency service (DESIGN.md, "agency")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field, field_validator

from services.agency import commands, views
from services.agency.deps import Agencies
from services.agency.domain import AgencyChanges, AgencyFilter
from shared.agency_rules import AGENCY_CODE_PATTERN, SERVICE_CODE_PATTERN
from shared.events.catalogue import MAX_SERVICES, AgencyKind, AgencyService, AgencyStatus, Contact
from shared.http.auth import require_scope
from shared.http.deps import Creating, Versioned, with_etag
from shared.http.fields import RequestBody, omittable_not_null, refuse_null
from shared.http.pagination import page_request
from shared.http.views import page_of
from shared.pagination import Page, PageRequest

router = APIRouter(prefix="/agencies", tags=["agencies"])
write = Depends(require_scope("agency:write"))


class AgencyCreate(RequestBody):
    code: str = Field(
        min_length=2, max_length=32, pattern=AGENCY_CODE_PATTERN, examples=["KEMENPANRB"]
    )
    name: str = Field(min_length=1, max_length=300)
    acronym: str | None = Field(default=None, max_length=50)
    kind: AgencyKind
    contact: Contact | None = None
    services: list[AgencyService] = Field(default=[], max_length=MAX_SERVICES)


class AgencyPatch(RequestBody):
    name: str | None = Field(
        default=None, min_length=1, max_length=300, json_schema_extra=omittable_not_null
    )
    acronym: str | None = Field(default=None, max_length=50)
    kind: AgencyKind | None = Field(default=None, json_schema_extra=omittable_not_null)
    contact: Contact | None = None

    _name_and_kind_not_null = field_validator("name", "kind")(refuse_null)


class ServiceCreate(RequestBody):
    code: str = Field(
        min_length=1, max_length=40, pattern=SERVICE_CODE_PATTERN, examples=["PASPOR"]
    )
    name: str = Field(min_length=1, max_length=300)


class Deactivation(RequestBody):
    reason: str | None = Field(default=None, max_length=1000)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def register_agency(body: AgencyCreate, creating: Creating) -> views.Agency:
    """Register an agency; publishes `agency.registered`."""
    command = commands.RegisterAgency(**body.model_dump())
    return await creating.answer(views.Agency, command, read_at="get_agency", id_param="agency_id")


@router.get("")
async def list_agencies(
    agencies: Agencies,
    kind: AgencyKind | None = Query(None),
    status: AgencyStatus | None = Query(None),
    code: str | None = Query(None, max_length=64, description="Exact code, e.g. KEMENPANRB."),
    q: str | None = Query(None, max_length=100, description="Part of the code, name or acronym."),
    page: PageRequest = Depends(page_request),
) -> Page[views.Agency]:
    found = await agencies.list(AgencyFilter(kind=kind, status=status, code=code, q=q), page)
    return page_of(views.Agency, found)


@router.get("/{agency_id}", name="get_agency")
async def get_agency(agency_id: str, response: Response, agencies: Agencies) -> views.Agency:
    return views.Agency.from_aggregate(with_etag(response, await agencies.get(agency_id)))


@router.patch("/{agency_id}", dependencies=[write])
async def update_agency(agency_id: str, body: AgencyPatch, change: Versioned) -> views.Agency:
    """Change name, acronym, kind or contact; publishes `agency.updated` if anything changed."""
    command = commands.UpdateAgency(
        agency_id=agency_id,
        changes=AgencyChanges.model_validate(body.model_dump(exclude_unset=True)),
    )
    return await change.answer(views.Agency, command)


@router.post("/{agency_id}/services", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def add_service(agency_id: str, body: ServiceCreate, change: Versioned) -> views.Agency:
    """Offer a service (layanan); publishes `agency.service_added`."""
    command = commands.AddService(
        agency_id=agency_id, service=AgencyService(code=body.code, name=body.name)
    )
    return await change.answer(views.Agency, command)


@router.delete("/{agency_id}/services/{code}", dependencies=[write])
async def remove_service(agency_id: str, code: str, change: Versioned) -> views.Agency:
    """Stop offering a service; publishes `agency.service_removed`."""
    command = commands.RemoveService(agency_id=agency_id, service_code=code)
    return await change.answer(views.Agency, command)


@router.post("/{agency_id}/deactivate", dependencies=[write])
async def deactivate_agency(
    agency_id: str, change: Versioned, body: Deactivation | None = None
) -> views.Agency:
    """No new MoUs or counters for this agency; publishes `agency.deactivated`."""
    command = commands.DeactivateAgency(agency_id=agency_id, reason=body.reason if body else None)
    return await change.answer(views.Agency, command)
