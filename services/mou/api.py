"""HTTP resources of the MoU service (DESIGN.md, "mou"; plus ``PATCH /mous/{id}`` for drafts)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.mou import commands, views
from services.mou.deps import Mous
from services.mou.domain import MouChanges, MouFilter
from shared.clock import UtcDateTime
from shared.errors import RuleViolated
from shared.events.catalogue import MouStatus
from shared.http.auth import require_scope
from shared.http.deps import Creating, Versioned, with_etag
from shared.http.fields import RequestBody, omittable_not_null
from shared.http.pagination import page_request
from shared.http.views import page_of
from shared.pagination import Page, PageRequest

router = APIRouter(prefix="/mous", tags=["mous"])
write = Depends(require_scope("mou:write"))


class PartyInput(RequestBody):
    agency_id: str = Field(min_length=1, max_length=100)


PartyList = list[PartyInput | Annotated[str, Field(min_length=1, max_length=100)]]


def _party_ids(parties: PartyList) -> list[str]:
    return [p.agency_id if isinstance(p, PartyInput) else p for p in parties]


class MouCreate(RequestBody):
    number: str | None = Field(default=None, min_length=1, max_length=100)
    title: str = Field(
        min_length=1,
        max_length=500,
        examples=[
            "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"
        ],
    )
    parties: PartyList = Field(
        description='At least two distinct, active agencies: `[{"agency_id": ...}]` or ids.',
        min_length=2,
        max_length=200,
    )
    valid_from: date | None = Field(
        default=None, description="First day in force; by default the day the last party signs."
    )
    valid_until: date | None = Field(
        default=None, description="Last day in force; none for an MoU without end."
    )


class MouPatch(BaseModel):
    """Changes to a draft; only the fields given change. ``parties`` replaces the list."""

    model_config = ConfigDict(extra="forbid")

    number: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(
        default=None, min_length=1, max_length=500, json_schema_extra=omittable_not_null
    )
    parties: PartyList | None = Field(
        default=None, min_length=2, max_length=200, json_schema_extra=omittable_not_null
    )
    valid_from: date | None = None
    valid_until: date | None = None

    @field_validator("title", "parties")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value


class SigningSchedule(RequestBody):
    signing_at: UtcDateTime


class SignatureCreate(RequestBody):
    agency_id: str = Field(min_length=1, max_length=100)
    signatory_name: str = Field(min_length=1, max_length=200)
    signatory_title: str = Field(min_length=1, max_length=300)
    signed_at: UtcDateTime | None = Field(
        default=None, description="When the party signed; now by default, never in the future."
    )


class TeamMemberCreate(RequestBody):
    agency_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=200, examples=["Anggota"])


class Termination(RequestBody):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def draft_mou(body: MouCreate, creating: Creating) -> views.Mou:
    """Draft an MoU between known, active agencies; publishes `mou.drafted`."""
    command = commands.DraftMou(
        title=body.title,
        parties=_party_ids(body.parties),
        number=body.number,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return await creating.answer(views.Mou, command, read_at="get_mou", id_param="mou_id")


@router.get("")
async def list_mous(
    mous: Mous,
    status: MouStatus | None = Query(None),
    party: str | None = Query(
        None, max_length=100, description="An agency id (or code) that is a party."
    ),
    page: PageRequest = Depends(page_request),
) -> Page[views.Mou]:
    return page_of(views.Mou, await mous.list(MouFilter(status=status, party=party), page))


@router.get("/{mou_id}", name="get_mou")
async def get_mou(mou_id: str, response: Response, mous: Mous) -> views.Mou:
    """The MoU with every party's signature state (`signed_at` null: not signed yet)."""
    return views.Mou.from_aggregate(with_etag(response, await mous.get(mou_id)))


@router.patch("/{mou_id}", dependencies=[write])
async def revise_mou(mou_id: str, body: MouPatch, change: Versioned) -> views.Mou:
    """Change a draft's title, number, parties or term (409 once signing has begun)."""
    changes = body.model_dump(exclude_unset=True)
    if "parties" in changes and body.parties is not None:
        changes["parties"] = _party_ids(body.parties)
    if not changes:
        raise RuleViolated("nothing to change", field="body")
    command = commands.ReviseMou(mou_id=mou_id, changes=MouChanges.model_validate(changes))
    return await change.answer(views.Mou, command)


@router.post("/{mou_id}/schedule", dependencies=[write])
async def schedule_signing(mou_id: str, body: SigningSchedule, change: Versioned) -> views.Mou:
    """Set or move the signing date; publishes `mou.signing_scheduled`."""
    command = commands.ScheduleSigning(mou_id=mou_id, signing_at=body.signing_at)
    return await change.answer(views.Mou, command)


@router.post("/{mou_id}/signatures", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def sign_mou(mou_id: str, body: SignatureCreate, change: Versioned) -> views.Mou:
    """A party signs; publishes `mou.party_signed`, and `mou.signed` when it is the last."""
    command = commands.SignMou(mou_id=mou_id, **body.model_dump())
    return await change.answer(views.Mou, command)


@router.post("/{mou_id}/team-members", status_code=status.HTTP_201_CREATED, dependencies=[write])
async def appoint_team_member(mou_id: str, body: TeamMemberCreate, change: Versioned) -> views.Mou:
    """Appoint a working-team member from a party; publishes `mou.team_member_added`."""
    command = commands.AppointTeamMember(mou_id=mou_id, **body.model_dump())
    return await change.answer(views.Mou, command)


@router.post("/{mou_id}/terminate", dependencies=[write])
async def terminate_mou(mou_id: str, body: Termination, change: Versioned) -> views.Mou:
    """End the MoU early, with a reason; publishes `mou.terminated`."""
    command = commands.TerminateMou(mou_id=mou_id, reason=body.reason)
    return await change.answer(views.Mou, command)
