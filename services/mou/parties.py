"""The parties to an MoU and its working team: who they are and whether they may join.

What an MoU knows of agencies comes from the service's projection of ``agency.*`` events; the
rules take it as ``shared.domain.AgencyInfo`` values so that they stay free of storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from shared.clock import UtcDateTime
from shared.domain import AgencyInfo
from shared.errors import Conflict, RuleViolated
from shared.events.catalogue import AgencyRef, SignedParty, TeamMember

MIN_PARTIES = 2


class Party(BaseModel):
    """An agency party to the MoU and its signature (all ``None`` until it signs)."""

    agency_id: str
    code: str
    name: str
    signed_at: UtcDateTime | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None

    def ensure_may_sign(self, agency: AgencyInfo | None) -> None:
        """Refuse (409) a second signature, or one of an agency deactivated since it joined."""
        if self.signed_at is not None:
            raise Conflict(
                f"{self.code} already signed this MoU (at {self.signed_at.isoformat()})",
                field="agency_id",
                agency_id=self.agency_id,
            )
        self.ensure_active(agency, " and can no longer sign")

    def ensure_active(self, agency: AgencyInfo | None, consequence: str) -> None:
        """Refuse (409) an act of a party whose agency (as now known) has been deactivated."""
        if agency is not None and not agency.is_active:
            raise Conflict(
                f"{self.code} has been deactivated{consequence}",
                field="agency_id",
                agency_id=self.agency_id,
            )

    def ref(self) -> AgencyRef:
        return AgencyRef(agency_id=self.agency_id, code=self.code, name=self.name)

    def signed(self) -> SignedParty:
        assert self.signed_at is not None
        return SignedParty(
            **self.ref().model_dump(),
            signatory_name=self.signatory_name or "",
            signatory_title=self.signatory_title or "",
            signed_at=self.signed_at,
        )


class WorkingTeamMember(BaseModel):
    """A member of the Tim Kerja Percepatan Pembentukan MPP, from one of the parties."""

    agency_id: str
    agency_code: str
    agency_name: str
    name: str
    role: str
    appointed_at: UtcDateTime

    def as_event_member(self) -> TeamMember:
        """The member as events name it: all but when it was appointed."""
        return TeamMember.model_validate(self, from_attributes=True)


def required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleViolated(f"{field} cannot be empty", field=field)
    return value.strip()


def resolve_parties(
    agency_ids: Sequence[str],
    agencies: Mapping[str, AgencyInfo],
    current: Mapping[str, Party] | None = None,
) -> list[Party]:
    """The parties named by ``agency_ids``: at least two, distinct, known and active.

    Args:
        agency_ids: in the order the caller gave them.
        agencies: what the projection knows of (at least) these agencies.
        current: parties the MoU already has; they stay as they are (a party deactivated since
            it joined a draft is not refused here, but it cannot sign).
    """
    current = current or {}
    if len(agency_ids) < MIN_PARTIES:
        raise RuleViolated(
            f"an MoU needs at least {MIN_PARTIES} parties, {len(agency_ids)} given",
            field="parties",
        )
    parties: list[Party] = []
    seen: set[str] = set()
    for i, agency_id in enumerate(agency_ids):
        field = f"parties.{i}.agency_id"
        if agency_id in seen:
            raise RuleViolated(
                f"agency {agency_id} is named twice; the parties must be distinct",
                field=field,
                agency_id=agency_id,
            )
        seen.add(agency_id)
        if agency_id in current:
            parties.append(current[agency_id])
            continue
        agency = agencies.get(agency_id)
        if agency is None:
            raise RuleViolated(
                f"agency {agency_id} is not known to the MoU service"
                " (no agency.registered event for it has arrived)",
                field=field,
                agency_id=agency_id,
            )
        if not agency.is_active:
            raise RuleViolated(
                f"agency {agency.code} ({agency_id}) is inactive and cannot become a party",
                field=field,
                agency_id=agency_id,
            )
        parties.append(Party(agency_id=agency_id, code=agency.code, name=agency.name))
    return parties


def ensure_team_keeps_its_parties(
    team: Sequence[WorkingTeamMember], parties: Sequence[Party]
) -> None:
    """Refuse (409) to drop a party some of whose people are on the working team."""
    remaining = {p.agency_id for p in parties}
    for member in team:
        if member.agency_id not in remaining:
            raise Conflict(
                f"{member.agency_code} cannot leave the MoU: {member.name} of it is on the"
                " working team",
                field="parties",
                agency_id=member.agency_id,
            )


def ensure_not_on_team(team: Sequence[WorkingTeamMember], party: Party, name: str) -> None:
    """Refuse (409) to appoint someone of ``party`` already on the team (names ignore case)."""
    if any(m.agency_id == party.agency_id and m.name.casefold() == name.casefold() for m in team):
        raise Conflict(f"{name} of {party.code} is already on the working team", field="name")
