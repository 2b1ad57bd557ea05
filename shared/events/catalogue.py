"""The event catalogue: one pydantic model for the ``data`` of every event type.

Every type in the public contract (../shared/DESIGN.md) has exactly one model here, which
names its type (also its routing key) and summary in its header,
``class MallOpened(MallEventData, type="mall.opened", summary=...)``: a domain records
``MallOpened(...)`` and the type goes with it. ``data`` always names the aggregate
(``agency_id``, ``mou_id`` or ``mall_id``, from a base class per aggregate) and its new
``version``, and resolves ids to codes and names so a subscriber never needs to call back.
Unknown fields are kept: producers may add fields without breaking consumers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.agency_rules import AgencyKind

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

AgencyStatus = Literal["active", "inactive"]
MouStatus = Literal["draft", "signing", "signed", "terminated", "expired"]
MallStatus = Literal["planned", "operating", "inaugurated", "closed"]


class EventData(BaseModel):
    """Base of every event's ``data``: open to additions, strict about what it names."""

    model_config = ConfigDict(extra="allow")

    type: ClassVar[str]
    """The event's type, which is also its routing key: written once, in its class's header."""
    summary: ClassVar[str]
    """What happened, completing "published when ..." in the docs."""

    def __init_subclass__(
        cls, type: str | None = None, summary: str | None = None, **kwargs: Any
    ) -> None:
        """``class AgencyUpdated(EventData, type=..., summary=...)`` names an event's type."""
        super().__init_subclass__(**kwargs)
        if type is not None:
            cls.type = type
        if summary is not None:
            cls.summary = summary

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


class AgencyEventData(EventData):
    """Every agency event names the agency: its id, code and name."""

    agency_id: Id
    code: Code
    name: Name


class AgencyDescribed(AgencyEventData):
    """An event that carries what describes the agency: it is new, or that changed."""

    acronym: Name | None = None
    kind: AgencyKind
    contact: Contact | None = None


class AgencyRegistered(AgencyDescribed, type="agency.registered", summary="an agency is created"):
    services: list[AgencyService] = Field(default=[], max_length=MAX_SERVICES)
    status: AgencyStatus = "active"


class AgencyUpdated(
    AgencyDescribed, type="agency.updated", summary="its name, acronym, kind or contact changes"
):
    changed: list[Code] = Field(max_length=50, description="The names of the fields that changed.")


class AgencyServicesChanged(AgencyEventData):
    """A service added or removed, and all the agency's services after the change."""

    service: AgencyService
    services: list[AgencyService] = Field(
        max_length=MAX_SERVICES, description="All its services after the change."
    )


class AgencyServiceAdded(
    AgencyServicesChanged, type="agency.service_added", summary="a service (layanan) is added"
):
    pass


class AgencyServiceRemoved(
    AgencyServicesChanged, type="agency.service_removed", summary="a service (layanan) is removed"
):
    pass


class AgencyDeactivated(
    AgencyEventData,
    type="agency.deactivated",
    summary="it is deactivated (no new MoUs or counters)",
):
    reason: Text | None = None


# --- mou.* ---------------------------------------------------------------------------------


class MouEventData(EventData):
    """Every MoU event names the MoU: its id, number (once it has one) and title."""

    mou_id: Id
    number: Name | None = None
    title: Text


class MouOfParties(MouEventData):
    """An MoU event that lists its parties, none of them needing to have signed."""

    parties: list[AgencyRef] = Field(max_length=MAX_PARTIES)


class MouDrafted(MouOfParties, type="mou.drafted", summary="an MoU is created with its parties"):
    valid_from: date | None = None
    valid_until: date | None = None
    status: MouStatus = "draft"


class MouSigningScheduled(
    MouEventData, type="mou.signing_scheduled", summary="a signing date is set"
):
    signing_at: datetime


class MouPartySigned(MouEventData, type="mou.party_signed", summary="one party signs"):
    party: SignedParty
    signed_count: int = Field(ge=1, le=MAX_PARTIES)
    party_count: int = Field(ge=2, le=MAX_PARTIES)


class MouSigned(
    MouEventData, type="mou.signed", summary="the last party signs: the MoU is in force"
):
    parties: list[SignedParty] = Field(max_length=MAX_PARTIES)
    signed_at: datetime = Field(description="When the last party signed.")
    valid_from: date
    valid_until: date | None = None


class MouTeamMemberAdded(
    MouEventData, type="mou.team_member_added", summary="a working-team member is appointed"
):
    member: TeamMember


class MouTerminated(MouOfParties, type="mou.terminated", summary="it ends early"):
    reason: Text
    terminated_at: datetime


class MouExpired(MouOfParties, type="mou.expired", summary="its term runs out"):
    valid_until: date
    expired_at: datetime


# --- mall.* --------------------------------------------------------------------------------


class MallEventData(EventData):
    """Every mall event names the mall and its region."""

    mall_id: Id
    name: Name
    region: Region


class MallPlanned(MallEventData, type="mall.planned", summary="a mall is registered for a region"):
    address: Text | None = None
    status: MallStatus = "planned"


class MallOpened(MallEventData, type="mall.opened", summary="it starts serving (soft launch)"):
    opened_at: datetime


class MallInaugurationScheduled(
    MallEventData, type="mall.inauguration_scheduled", summary="an inauguration date is set"
):
    scheduled_for: datetime


class MallInaugurated(
    MallEventData, type="mall.inaugurated", summary="it is officially inaugurated"
):
    inaugurated_at: datetime
    inaugurated_by: Name


class MallCounterOpened(
    MallEventData, type="mall.counter_opened", summary="an agency's counter opens"
):
    counter: Counter


class MallCounterEventData(MallEventData):
    """A mall event about an agency's counter there, naming the agency."""

    agency_id: Id
    code: Code
    agency_name: Name


class MallCounterClosed(
    MallCounterEventData, type="mall.counter_closed", summary="an agency's counter closes"
):
    closed_at: datetime


class MallCounterFlagged(
    MallCounterEventData,
    type="mall.counter_flagged",
    summary="a counter's agency lost (flagged) or regained its MoU in force",
):
    """A counter stays open but its agency no longer has an MoU in force (or has it again)."""

    flagged: bool = Field(description="True: no MoU in force; False: the flag was cleared.")
    reason: Text | None = None


class MallClosed(MallEventData, type="mall.closed", summary="it stops operating"):
    closed_at: datetime
    reason: Text | None = None


EVENT_MODELS: tuple[type[EventData], ...] = (
    AgencyRegistered,
    AgencyUpdated,
    AgencyServiceAdded,
    AgencyServiceRemoved,
    AgencyDeactivated,
    MouDrafted,
    MouSigningScheduled,
    MouPartySigned,
    MouSigned,
    MouTeamMemberAdded,
    MouTerminated,
    MouExpired,
    MallPlanned,
    MallOpened,
    MallInaugurationScheduled,
    MallInaugurated,
    MallCounterOpened,
    MallCounterClosed,
    MallCounterFlagged,
    MallClosed,
)
"""Every event's ``data`` model, in the order the contract lists them."""

EVENT_TYPES: dict[str, type[EventData]] = {model.type: model for model in EVENT_MODELS}
"""Every event type, which is also its routing key, mapped to the model of its ``data``."""

EVENT_TYPE_DESCRIPTIONS: dict[str, str] = {model.type: model.summary for model in EVENT_MODELS}
"""What happened when an event of each type is published, for the docs."""


def data_model_for(event_type: str) -> type[EventData]:
    """The ``data`` model of ``event_type``; KeyError for a type not in the catalogue."""
    return EVENT_TYPES[event_type]


def event_source(event_type: str) -> str:
    """The CloudEvents ``source`` of a type: ``/mpp/<service>``."""
    return f"/mpp/{event_type.split('.', 1)[0]}"
