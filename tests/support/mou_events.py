"""CloudEvents as the agency and MoU services publish them, built from the catalogue models,
for tests of the services that consume them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from shared.events.catalogue import (
    AgencyKind,
    AgencyRef,
    AgencyRegistered,
    AgencyService,
    MouExpired,
    MouSigned,
    MouTerminated,
    SignedParty,
)
from shared.events.envelope import CloudEvent
from tests.support.reference import MOU_2022_SIGNED_AT, MOU_2022_TITLE


@dataclass(frozen=True)
class Party:
    """An agency as an MoU names it."""

    agency_id: str
    code: str
    name: str
    kind: AgencyKind = "ministry"
    services: tuple[AgencyService, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, agency: dict[str, Any]) -> Party:
        """The party an agency service's answer (``POST /agencies``) describes."""
        return cls(
            agency_id=agency["id"],
            code=agency["code"],
            name=agency["name"],
            kind=agency["kind"],
            services=tuple(AgencyService(**s) for s in agency["services"]),
        )

    @classmethod
    def offering(
        cls, agency_id: str, code: str, name: str, kind: AgencyKind = "ministry", **services: str
    ) -> Party:
        """A party with the services it offers, given as ``CODE="Name"``."""
        offered = tuple(AgencyService(code=c, name=n) for c, n in services.items())
        return cls(agency_id, code, name, kind, offered)

    def ref(self) -> AgencyRef:
        return AgencyRef(agency_id=self.agency_id, code=self.code, name=self.name)


KEMENPANRB = Party("agc_panrb", "KEMENPANRB", "Kementerian PANRB")
"""KemenPANRB, a party to every MoU of the programme."""
KEMENKUMHAM = Party.offering(
    "agc_kumham",
    "KEMENKUMHAM",
    "Kementerian Hukum dan HAM",
    PASPOR="Permohonan paspor",
    PASPOR_GANTI="Penggantian paspor",
)
"""A ministry with counters in many malls: the immigration office's passports."""


def _event(event_type: str, subject: str, data: dict[str, object]) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        source=f"/mpp/{event_type.split('.', 1)[0]}",
        subject=subject,
        data=data,
        correlation_id=f"test-{uuid.uuid4().hex[:8]}",
    )


def agency_registered(party: Party, version: int = 1) -> CloudEvent:
    data = AgencyRegistered(
        agency_id=party.agency_id,
        version=version,
        code=party.code,
        name=party.name,
        kind=party.kind,
        services=list(party.services),
    )
    return _event("agency.registered", party.agency_id, data.model_dump(mode="json"))


def mou_signed(
    mou_id: str,
    parties: list[Party],
    *,
    version: int,
    number: str | None = None,
    title: str = MOU_2022_TITLE,
    signed_at: datetime = MOU_2022_SIGNED_AT,
) -> CloudEvent:
    data = MouSigned(
        mou_id=mou_id,
        version=version,
        number=number,
        title=title,
        parties=[
            SignedParty(
                agency_id=p.agency_id,
                code=p.code,
                name=p.name,
                signatory_name=f"Signatory of {p.code}",
                signatory_title="Menteri" if p.kind == "ministry" else "Kepala",
                signed_at=signed_at,
            )
            for p in parties
        ],
        signed_at=signed_at,
        valid_from=signed_at.date(),
        valid_until=date(signed_at.year + 5, signed_at.month, signed_at.day),
    )
    return _event("mou.signed", mou_id, data.model_dump(mode="json"))


def mou_terminated(
    mou_id: str,
    parties: list[Party],
    *,
    version: int,
    number: str | None = None,
    title: str = MOU_2022_TITLE,
    reason: str = "replaced by a new MoU",
) -> CloudEvent:
    ended = {"number": number, "reason": reason, "terminated_at": datetime.now(UTC)}
    return _ended("mou.terminated", MouTerminated, mou_id, parties, version, title, ended)


def mou_expired(
    mou_id: str,
    parties: list[Party],
    *,
    version: int,
    title: str = MOU_2022_TITLE,
    valid_until: date = date(2027, 6, 28),
) -> CloudEvent:
    ended = {"valid_until": valid_until, "expired_at": datetime.now(UTC)}
    return _ended("mou.expired", MouExpired, mou_id, parties, version, title, ended)


def _ended(
    event_type: str,
    model: type[MouTerminated | MouExpired],
    mou_id: str,
    parties: list[Party],
    version: int,
    title: str,
    fields: dict[str, Any],
) -> CloudEvent:
    """An MoU that ended (terminated or expired): it names its parties and how it ended."""
    data = model(
        mou_id=mou_id, version=version, title=title, parties=[p.ref() for p in parties], **fields
    )
    return _event(event_type, mou_id, data.model_dump(mode="json"))
