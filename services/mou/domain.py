"""MoUs (Nota Kesepahaman) between KemenPANRB and the bodies joining the programme. No I/O.

Lifecycle: ``draft`` (parties editable; at least two, distinct, known and active) ->
``signing`` (after the first signature; parties locked) -> ``signed`` when the last party signs
(in force from ``valid_from``, by default the day of the last signature) -> ``terminated``
(early, with a reason) or ``expired`` (``valid_until`` has passed).

What the MoU knows of agencies comes from the service's projection of ``agency.*`` events; the
domain takes it as ``AgencyInfo`` values so that its rules stay free of storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from shared.clock import UtcDateTime, new_id, utcnow
from shared.domain import Aggregate, new_timestamps
from shared.errors import Conflict, InvalidTransition, RuleViolated
from shared.events.catalogue import (
    AgencyRef,
    MouDrafted,
    MouExpired,
    MouPartySigned,
    MouSigned,
    MouSigningScheduled,
    MouStatus,
    MouTeamMemberAdded,
    MouTerminated,
    SignedParty,
    TeamMember,
)

MIN_PARTIES = 2
REVISABLE_FIELDS = ("title", "number", "parties", "valid_from", "valid_until")
ENDED: tuple[MouStatus, ...] = ("terminated", "expired")
CLOCK_SKEW = timedelta(minutes=1)
"""How far ahead of our clock a given ``signed_at`` may be (the caller's clock may run fast)."""


class AgencyInfo(Protocol):
    """What an MoU needs to know of an agency (``KnownAgency`` of the projection fits)."""

    @property
    def agency_id(self) -> str: ...

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def is_active(self) -> bool: ...


class Party(BaseModel):
    """An agency party to the MoU and its signature (all ``None`` until it signs)."""

    agency_id: str
    code: str
    name: str
    signed_at: UtcDateTime | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None

    @property
    def has_signed(self) -> bool:
        return self.signed_at is not None

    def ref(self) -> AgencyRef:
        return AgencyRef(agency_id=self.agency_id, code=self.code, name=self.name)

    def signed(self) -> SignedParty:
        assert self.signed_at is not None
        return SignedParty(
            agency_id=self.agency_id,
            code=self.code,
            name=self.name,
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
        return TeamMember(
            agency_id=self.agency_id,
            agency_code=self.agency_code,
            agency_name=self.agency_name,
            name=self.name,
            role=self.role,
        )


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleViolated(f"{field} cannot be empty", field=field)
    return value.strip()


def _check_term(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise RuleViolated(
            f"valid_until ({valid_until}) must be after valid_from ({valid_from})",
            field="valid_until",
        )


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


class Mou(Aggregate):
    """A multi-party Memorandum of Understanding with KemenPANRB, and its working team."""

    number: str | None = None
    title: str
    parties: list[Party]
    status: MouStatus = "draft"
    signing_at: UtcDateTime | None = None
    signed_at: UtcDateTime | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    team: list[WorkingTeamMember] = []
    terminated_at: UtcDateTime | None = None
    termination_reason: str | None = None
    expired_at: UtcDateTime | None = None

    # --- drafting -----------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        title: str,
        parties: Sequence[str],
        agencies: Mapping[str, AgencyInfo],
        number: str | None = None,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> Mou:
        """A new draft between the agencies ``parties`` names; records ``mou.drafted``."""
        title = _text(title, "title")
        if number is not None:
            number = _text(number, "number")
        resolved = resolve_parties(parties, agencies)
        _check_term(valid_from, valid_until)
        mou = cls(
            id=new_id("mou"),
            number=number,
            title=title,
            parties=resolved,
            valid_from=valid_from,
            valid_until=valid_until,
            **new_timestamps(),
        )
        mou.record(
            MouDrafted(
                mou_id=mou.id,
                version=mou.version,
                number=number,
                title=title,
                parties=[p.ref() for p in resolved],
                valid_from=valid_from,
                valid_until=valid_until,
                status="draft",
            ),
            at=mou.created_at,
        )
        return mou

    def revise(self, changes: Mapping[str, Any], agencies: Mapping[str, AgencyInfo]) -> list[str]:
        """Change a draft's title, number, parties or term; returns the fields that changed.

        ``changes["parties"]`` is the complete new list of agency ids. No event type exists for
        this (a draft is not yet a commitment); subscribers get the final parties in
        ``mou.signed``.
        """
        if self.status != "draft":
            locked = " (its parties are locked since the first signature)"
            raise InvalidTransition(
                f"only a draft can be changed; this MoU is {self.status}"
                + (locked if self.status == "signing" else ""),
                current_state=self.status,
            )
        revised: dict[str, Any] = {f: getattr(self, f) for f in REVISABLE_FIELDS}
        for field, value in changes.items():
            if field not in REVISABLE_FIELDS:
                raise RuleViolated(f"{field} cannot be changed", field=field)
            if field == "title":
                revised["title"] = _text(value, "title")
            elif field == "number":
                revised["number"] = None if value is None else _text(value, "number")
            elif field == "parties":
                current = {p.agency_id: p for p in self.parties}
                revised["parties"] = resolve_parties(list(value), agencies, current)
            else:
                revised[field] = value
        _check_term(revised["valid_from"], revised["valid_until"])
        remaining = {p.agency_id for p in revised["parties"]}
        for member in self.team:
            if member.agency_id not in remaining:
                raise Conflict(
                    f"{member.agency_code} cannot leave the MoU: {member.name} of it is on the"
                    " working team",
                    field="parties",
                    agency_id=member.agency_id,
                )
        changed = [f for f in REVISABLE_FIELDS if revised[f] != getattr(self, f)]
        for field in changed:
            setattr(self, field, revised[field])
        if changed:
            self.next_version()
        return changed

    # --- signing ------------------------------------------------------------------------------

    def schedule_signing(self, signing_at: datetime) -> bool:
        """Set (or move) the signing date; records ``mou.signing_scheduled`` if it changed."""
        if self.status not in ("draft", "signing"):
            raise InvalidTransition(
                f"a signing can be scheduled only before the MoU is signed; it is {self.status}",
                current_state=self.status,
            )
        if self.signing_at == signing_at:
            return False
        self.signing_at = signing_at
        self.next_version()
        self.record(
            MouSigningScheduled(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                signing_at=signing_at,
            ),
            at=self.updated_at,
        )
        return True

    def sign(
        self,
        agency_id: str,
        *,
        signatory_name: str,
        signatory_title: str,
        agency: AgencyInfo | None,
        signed_at: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record one party's signature: ``mou.party_signed``, and ``mou.signed`` for the last.

        Args:
            agency_id: the signing party.
            agency: what the projection knows of it now (an inactive agency cannot sign).
            signed_at: when it signed; now by default, never in the future.
            now: the present, for tests.
        """
        now = now or utcnow()
        self._ensure_not_ended("sign")
        party = self._party(agency_id)
        if party is None:
            raise RuleViolated(
                f"agency {agency_id} is not a party to this MoU; only its parties may sign",
                field="agency_id",
                agency_id=agency_id,
            )
        if party.signed_at is not None:
            raise Conflict(
                f"{party.code} already signed this MoU (at {party.signed_at.isoformat()})",
                field="agency_id",
                agency_id=agency_id,
            )
        if agency is not None and not agency.is_active:
            raise Conflict(
                f"{party.code} has been deactivated and can no longer sign",
                field="agency_id",
                agency_id=agency_id,
            )
        name = _text(signatory_name, "signatory_name")
        title = _text(signatory_title, "signatory_title")
        when = signed_at or now
        if when > now + CLOCK_SKEW:
            raise RuleViolated(
                f"signed_at ({when.isoformat()}) is in the future", field="signed_at"
            )
        others_signed = [p.signed_at for p in self.parties if p.signed_at is not None]
        complete = len(others_signed) == len(self.parties) - 1
        last_signed_at = max([*others_signed, when])
        valid_from = self.valid_from or last_signed_at.date()
        if complete and self.valid_until is not None and self.valid_until <= valid_from:
            raise Conflict(
                f"the MoU cannot come into force: its term would start on {valid_from} but"
                f" valid_until is {self.valid_until}",
                field="valid_until",
            )

        party.signed_at = when
        party.signatory_name = name
        party.signatory_title = title
        if self.status == "draft":
            self.status = "signing"
        self.next_version(now)
        self.record(
            MouPartySigned(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                party=party.signed(),
                signed_count=len(others_signed) + 1,
                party_count=len(self.parties),
            ),
            at=now,
        )
        if complete:
            self._come_into_force(last_signed_at, valid_from, now)

    def _come_into_force(self, signed_at: datetime, valid_from: date, now: datetime) -> None:
        # A version of its own, so that every event of an MoU has a distinct, rising version.
        self.status = "signed"
        self.signed_at = signed_at
        self.valid_from = valid_from
        self.next_version(now)
        self.record(
            MouSigned(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                parties=[p.signed() for p in self.parties],
                signed_at=signed_at,
                valid_from=valid_from,
                valid_until=self.valid_until,
            ),
            at=now,
        )

    # --- the working team ---------------------------------------------------------------------

    def appoint_team_member(
        self,
        agency_id: str,
        *,
        name: str,
        role: str,
        agency: AgencyInfo | None,
        at: datetime | None = None,
    ) -> WorkingTeamMember:
        """Appoint someone of a party's agency to the working team; records
        ``mou.team_member_added``."""
        self._ensure_not_ended("appoint a working-team member to")
        party = self._party(agency_id)
        if party is None:
            raise RuleViolated(
                f"agency {agency_id} is not a party to this MoU; working-team members come"
                " from its parties",
                field="agency_id",
                agency_id=agency_id,
            )
        if agency is not None and not agency.is_active:
            raise Conflict(
                f"{party.code} has been deactivated; it can no longer appoint team members",
                field="agency_id",
                agency_id=agency_id,
            )
        name = _text(name, "name")
        role = _text(role, "role")
        if any(
            m.agency_id == agency_id and m.name.casefold() == name.casefold() for m in self.team
        ):
            raise Conflict(f"{name} of {party.code} is already on the working team", field="name")
        at = at or utcnow()
        member = WorkingTeamMember(
            agency_id=agency_id,
            agency_code=party.code,
            agency_name=party.name,
            name=name,
            role=role,
            appointed_at=at,
        )
        self.team = [*self.team, member]
        self.next_version(at)
        self.record(
            MouTeamMemberAdded(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                member=member.as_event_member(),
            ),
            at=at,
        )
        return member

    # --- the end ------------------------------------------------------------------------------

    def terminate(self, reason: str, at: datetime | None = None) -> None:
        """End the MoU early (or abandon a draft); records ``mou.terminated``."""
        self._ensure_not_ended("terminate")
        reason = _text(reason, "reason")
        at = at or utcnow()
        self.status = "terminated"
        self.terminated_at = at
        self.termination_reason = reason
        self.next_version(at)
        self.record(
            MouTerminated(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                parties=[p.ref() for p in self.parties],
                reason=reason,
                terminated_at=at,
            ),
            at=at,
        )

    def is_due_to_expire(self, today: date) -> bool:
        """Whether the MoU is in force but its last valid day is before ``today``."""
        return self.status == "signed" and self.valid_until is not None and self.valid_until < today

    def expire(self, today: date, at: datetime | None = None) -> None:
        """End an MoU in force whose term ran out; records ``mou.expired``."""
        if not self.is_due_to_expire(today):
            raise InvalidTransition(
                f"the MoU does not expire on {today}: it is {self.status}, valid until"
                f" {self.valid_until}",
                current_state=self.status,
            )
        assert self.valid_until is not None
        at = at or utcnow()
        self.status = "expired"
        self.expired_at = at
        self.next_version(at)
        self.record(
            MouExpired(
                mou_id=self.id,
                version=self.version,
                number=self.number,
                title=self.title,
                parties=[p.ref() for p in self.parties],
                valid_until=self.valid_until,
                expired_at=at,
            ),
            at=at,
        )

    # --- helpers ------------------------------------------------------------------------------

    @property
    def party_ids(self) -> list[str]:
        return [p.agency_id for p in self.parties]

    def _party(self, agency_id: str) -> Party | None:
        return next((p for p in self.parties if p.agency_id == agency_id), None)

    def _ensure_not_ended(self, action: str) -> None:
        if self.status in ENDED:
            raise InvalidTransition(
                f"cannot {action} this MoU: it is {self.status}", current_state=self.status
            )


class MouFilter(BaseModel):
    """What ``GET /mous`` can filter on."""

    status: MouStatus | None = None
    party: str | None = None
