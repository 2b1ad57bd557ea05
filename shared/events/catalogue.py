"""The event catalogue: one pydantic model for the ``data`` of every event type.

Every type in the public contract (../shared/DESIGN.md) has exactly one model here, keyed by
its type, which is also its routing key. ``data`` always names the aggregate (``agency_id``,
``mou_id`` or ``mall_id``) and its new ``version``, and resolves ids to codes and names so a
subscriber never needs to call back. Unknown fields are kept: producers may add fields
without breaking consumers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# --- bounds: every string and list has a maximum (SECURITY.md "Limits") ----------------------
# At least as wide as the services' API models allow, so nothing they accept breaks an event.

Id = Annotated[str, Field(max_length=100)]
Code = Annotated[str, Field(max_length=64)]
Name = Annotated[str, Field(max_length=300)]
Text = Annotated[str, Field(max_length=2000)]
MAX_SERVICES = 200
"""Services (layanan) one agency may offer, and a counter may serve."""
MAX_PARTIES = 200
MAX_VERSION = 2**63 - 1

AgencyKind = Literal["ministry", "agency", "soe", "public_body", "local_government"]
AgencyStatus = Literal["active", "inactive"]
MouStatus = Literal["draft", "signing", "signed", "terminated", "expired"]
MallStatus = Literal["planned", "operating", "inaugurated", "closed"]


class EventData(BaseModel):
    """Base of every event's ``data``: open to additions, strict about what it names."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(
        ge=1, le=MAX_VERSION, description="The aggregate's version after this change."
    )


# --- values shared by several events -------------------------------------------------------


class AgencyService(BaseModel):
    """A service (layanan) an agency offers, e.g. ``{"code": "PASPOR", "name": "Paspor"}``."""

    code: Code
    name: Name


class Contact(BaseModel):
    """How to reach an agency."""

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=2000)
    address: str | None = Field(default=None, max_length=1000)


class AgencyRef(BaseModel):
    """An agency named well enough that a subscriber needs no lookup."""

    agency_id: Id
    code: Code
    name: Name


class SignedParty(AgencyRef):
    """A party with its signature."""

    signatory_name: Name
    signatory_title: Name
    signed_at: datetime


class TeamMember(BaseModel):
    """A member of the MoU's working team (Tim Kerja Percepatan Pembentukan MPP)."""

    agency_id: Id
    agency_code: Code
    agency_name: Name
    name: Name
    role: Name


class Region(BaseModel):
    """A regency or city by its Kemendagri code, and its province."""

    province_code: Code
    province_name: Name
    regency_code: Code
    regency_name: Name


class Counter(BaseModel):
    """An agency's counter (gerai) in a mall."""

    agency_id: Id
    code: Code
    name: Name
    services: list[Code] = Field(max_length=MAX_SERVICES)
    opened_at: datetime


# --- agency.* ------------------------------------------------------------------------------


class AgencyRegistered(EventData):
    agency_id: Id
    code: Code
    name: Name
    acronym: Name | None = None
    kind: AgencyKind
    contact: Contact | None = None
    services: list[AgencyService] = Field(default=[], max_length=MAX_SERVICES)
    status: AgencyStatus = "active"


class AgencyUpdated(EventData):
    agency_id: Id
    code: Code
    name: Name
    acronym: Name | None = None
    kind: AgencyKind
    contact: Contact | None = None
    changed: list[Code] = Field(max_length=50, description="The names of the fields that changed.")


class AgencyServiceAdded(EventData):
    agency_id: Id
    code: Code
    name: Name
    service: AgencyService
    services: list[AgencyService] = Field(
        max_length=MAX_SERVICES, description="All its services after the change."
    )


class AgencyServiceRemoved(EventData):
    agency_id: Id
    code: Code
    name: Name
    service: AgencyService
    services: list[AgencyService] = Field(
        max_length=MAX_SERVICES, description="All its services after the change."
    )


class AgencyDeactivated(EventData):
    agency_id: Id
    code: Code
    name: Name
    reason: Text | None = None


# --- mou.* ---------------------------------------------------------------------------------


class MouDrafted(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    parties: list[AgencyRef] = Field(max_length=MAX_PARTIES)
    valid_from: date | None = None
    valid_until: date | None = None
    status: MouStatus = "draft"


class MouSigningScheduled(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    signing_at: datetime


class MouPartySigned(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    party: SignedParty
    signed_count: int = Field(ge=1, le=MAX_PARTIES)
    party_count: int = Field(ge=2, le=MAX_PARTIES)


class MouSigned(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    parties: list[SignedParty] = Field(max_length=MAX_PARTIES)
    signed_at: datetime = Field(description="When the last party signed.")
    valid_from: date
    valid_until: date | None = None


class MouTeamMemberAdded(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    member: TeamMember


class MouTerminated(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    parties: list[AgencyRef] = Field(max_length=MAX_PARTIES)
    reason: Text
    terminated_at: datetime


class MouExpired(EventData):
    mou_id: Id
    number: Name | None = None
    title: Text
    parties: list[AgencyRef] = Field(max_length=MAX_PARTIES)
    valid_until: date
    expired_at: datetime


# --- mall.* --------------------------------------------------------------------------------


class MallEventData(EventData):
    """Every mall event names the mall and its region."""

    mall_id: Id
    name: Name
    region: Region


class MallPlanned(MallEventData):
    address: Text | None = None
    status: MallStatus = "planned"


class MallOpened(MallEventData):
    opened_at: datetime


class MallInaugurationScheduled(MallEventData):
    scheduled_for: datetime


class MallInaugurated(MallEventData):
    inaugurated_at: datetime
    inaugurated_by: Name


class MallCounterOpened(MallEventData):
    counter: Counter


class MallCounterClosed(MallEventData):
    agency_id: Id
    code: Code
    agency_name: Name
    closed_at: datetime


class MallCounterFlagged(MallEventData):
    """A counter stays open but its agency no longer has an MoU in force (or has it again)."""

    agency_id: Id
    code: Code
    agency_name: Name
    flagged: bool = Field(description="True: no MoU in force; False: the flag was cleared.")
    reason: Text | None = None


class MallClosed(MallEventData):
    closed_at: datetime
    reason: Text | None = None


EVENT_TYPES: dict[str, type[EventData]] = {
    "agency.registered": AgencyRegistered,
    "agency.updated": AgencyUpdated,
    "agency.service_added": AgencyServiceAdded,
    "agency.service_removed": AgencyServiceRemoved,
    "agency.deactivated": AgencyDeactivated,
    "mou.drafted": MouDrafted,
    "mou.signing_scheduled": MouSigningScheduled,
    "mou.party_signed": MouPartySigned,
    "mou.signed": MouSigned,
    "mou.team_member_added": MouTeamMemberAdded,
    "mou.terminated": MouTerminated,
    "mou.expired": MouExpired,
    "mall.planned": MallPlanned,
    "mall.opened": MallOpened,
    "mall.inauguration_scheduled": MallInaugurationScheduled,
    "mall.inaugurated": MallInaugurated,
    "mall.counter_opened": MallCounterOpened,
    "mall.counter_closed": MallCounterClosed,
    "mall.counter_flagged": MallCounterFlagged,
    "mall.closed": MallClosed,
}
"""Every event type, which is also its routing key, mapped to the model of its ``data``."""

EVENT_TYPE_DESCRIPTIONS: dict[str, str] = {
    "agency.registered": "an agency is created",
    "agency.updated": "its name, acronym, kind or contact changes",
    "agency.service_added": "a service (layanan) is added",
    "agency.service_removed": "a service (layanan) is removed",
    "agency.deactivated": "it is deactivated (no new MoUs or counters)",
    "mou.drafted": "an MoU is created with its parties",
    "mou.signing_scheduled": "a signing date is set",
    "mou.party_signed": "one party signs",
    "mou.signed": "the last party signs: the MoU is in force",
    "mou.team_member_added": "a working-team member is appointed",
    "mou.terminated": "it ends early",
    "mou.expired": "its term runs out",
    "mall.planned": "a mall is registered for a region",
    "mall.opened": "it starts serving (soft launch)",
    "mall.inauguration_scheduled": "an inauguration date is set",
    "mall.inaugurated": "it is officially inaugurated",
    "mall.counter_opened": "an agency's counter opens",
    "mall.counter_closed": "an agency's counter closes",
    "mall.counter_flagged": "a counter's agency lost (flagged) or regained its MoU in force",
    "mall.closed": "it stops operating",
}


def data_model_for(event_type: str) -> type[EventData]:
    """The ``data`` model of ``event_type``; KeyError for a type not in the catalogue."""
    return EVENT_TYPES[event_type]


def event_source(event_type: str) -> str:
    """The CloudEvents ``source`` of a type: ``/mpp/<service>``."""
    return f"/mpp/{event_type.split('.', 1)[0]}"
