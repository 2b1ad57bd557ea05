"""MoUs (Nota Kesepahaman) between KemenPANRB and the bodies joining the programme. No I/O.

Lifecycle: ``draft`` (parties editable; at least two, distinct, known and active) ->
``signing`` (after the first signature; parties locked) -> ``signed`` when the last party signs
(in force from ``valid_from``, by default the day of the last signature) -> ``terminated``
(early, with a reason) or ``expired`` (``valid_until`` has passed).

Who the parties are, and the working team, are in ``services.mou.parties``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from pydantic import BaseModel

from services.mou.parties import (
    Party,
    WorkingTeamMember,
    ensure_not_on_team,
    ensure_team_keeps_its_parties,
    required_text,
    resolve_parties,
)
from shared.clock import UtcDateTime, utcnow
from shared.domain import AgencyInfo, Aggregate, Changes, Filter
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
)

ENDED: tuple[MouStatus, ...] = ("terminated", "expired")
CLOCK_SKEW = timedelta(minutes=1)
"""How far ahead of our clock a given ``signed_at`` may be (the caller's clock may run fast)."""


def _check_term(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise RuleViolated(
            f"valid_until ({valid_until}) must be after valid_from ({valid_from})",
            field="valid_until",
        )


class _About(TypedDict):
    mou_id: str
    version: int
    number: str | None
    title: str


class _WithParties(_About):
    parties: list[AgencyRef]


class MouChanges(Changes):
    """What ``Mou.revise`` may change in a draft; only the fields given change."""

    title: str | None = None
    number: str | None = None
    parties: list[str] | None = None
    """The complete new list of the parties' agency ids."""
    valid_from: date | None = None
    valid_until: date | None = None


REVISABLE_FIELDS: tuple[str, ...] = tuple(MouChanges.model_fields)


class MouState(BaseModel):
    """What an MoU is, all of it public: the aggregate keeps it, ``views.Mou`` shows it."""

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


class Mou(MouState, Aggregate):
    """A multi-party Memorandum of Understanding with KemenPANRB, and its working team."""

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
        title = required_text(title, "title")
        if number is not None:
            number = required_text(number, "number")
        resolved = resolve_parties(parties, agencies)
        _check_term(valid_from, valid_until)
        mou = cls.new(
            "mou",
            number=number,
            title=title,
            parties=resolved,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        mou.record(
            MouDrafted(
                **mou._with_parties(),
                valid_from=valid_from,
                valid_until=valid_until,
                status="draft",
            )
        )
        return mou

    def revise(self, changes: MouChanges, agencies: Mapping[str, AgencyInfo]) -> list[str]:
        """Change a draft's title, number, parties or term; returns the fields that changed.

        ``changes.parties`` is the complete new list of agency ids. No event type exists for
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
        for field, value in changes.given().items():
            if field == "title":
                revised["title"] = required_text(value, "title")
            elif field == "number":
                revised["number"] = None if value is None else required_text(value, "number")
            elif field == "parties":
                if value is None:
                    raise RuleViolated("an MoU cannot be without parties", field="parties")
                current = {p.agency_id: p for p in self.parties}
                revised["parties"] = resolve_parties(list(value), agencies, current)
            else:
                revised[field] = value
        _check_term(revised["valid_from"], revised["valid_until"])
        ensure_team_keeps_its_parties(self.team, revised["parties"])
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
        self.record(MouSigningScheduled(**self._about(), signing_at=signing_at))
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
        party = self._party_or_refuse(agency_id, "only its parties may sign")
        party.ensure_may_sign(agency)
        name = required_text(signatory_name, "signatory_name")
        title = required_text(signatory_title, "signatory_title")
        when = signed_at or now
        if when > now + CLOCK_SKEW:
            raise RuleViolated(
                f"signed_at ({when.isoformat()}) is in the future", field="signed_at"
            )
        others_signed = [p.signed_at for p in self.parties if p.signed_at is not None]
        complete = len(others_signed) == len(self.parties) - 1
        last_signed_at = max([*others_signed, when])
        valid_from = self.valid_from or last_signed_at.date()
        if complete:
            self._ensure_term_can_start(valid_from)

        party.signed_at = when
        party.signatory_name = name
        party.signatory_title = title
        if self.status == "draft":
            self.status = "signing"
        self.next_version(now)
        self.record(
            MouPartySigned(
                **self._about(),
                party=party.signed(),
                signed_count=len(others_signed) + 1,
                party_count=len(self.parties),
            )
        )
        if complete:
            self._come_into_force(last_signed_at, valid_from, now)

    def _ensure_term_can_start(self, valid_from: date) -> None:
        if self.valid_until is not None and self.valid_until <= valid_from:
            raise Conflict(
                f"the MoU cannot come into force: its term would start on {valid_from} but"
                f" valid_until is {self.valid_until}",
                field="valid_until",
            )

    def _come_into_force(self, signed_at: datetime, valid_from: date, now: datetime) -> None:
        # A version of its own, so that every event of an MoU has a distinct, rising version.
        self.status = "signed"
        self.signed_at = signed_at
        self.valid_from = valid_from
        self.next_version(now)
        self.record(
            MouSigned(
                **self._about(),
                parties=[p.signed() for p in self.parties],
                signed_at=signed_at,
                valid_from=valid_from,
                valid_until=self.valid_until,
            )
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
        party = self._party_or_refuse(agency_id, "working-team members come from its parties")
        party.ensure_active(agency, "; it can no longer appoint team members")
        name = required_text(name, "name")
        role = required_text(role, "role")
        ensure_not_on_team(self.team, party, name)
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
        self.record(MouTeamMemberAdded(**self._about(), member=member.as_event_member()))
        return member

    # --- the end ------------------------------------------------------------------------------

    def terminate(self, reason: str, at: datetime | None = None) -> None:
        """End the MoU early (or abandon a draft); records ``mou.terminated``."""
        self._ensure_not_ended("terminate")
        reason = required_text(reason, "reason")
        at = at or utcnow()
        self.status = "terminated"
        self.terminated_at = at
        self.termination_reason = reason
        self.next_version(at)
        self.record(MouTerminated(**self._with_parties(), reason=reason, terminated_at=at))

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
        self.record(MouExpired(**self._with_parties(), valid_until=self.valid_until, expired_at=at))

    # --- helpers ------------------------------------------------------------------------------

    @property
    def party_ids(self) -> list[str]:
        return [p.agency_id for p in self.parties]

    def _about(self) -> _About:
        """What every MoU event says of it: id, new version, number and title."""
        return _About(mou_id=self.id, version=self.version, number=self.number, title=self.title)

    def _with_parties(self) -> _WithParties:
        """What the events listing the parties say (none of them needs to have signed)."""
        return {**self._about(), "parties": [p.ref() for p in self.parties]}

    def _party_or_refuse(self, agency_id: str, why: str) -> Party:
        """The party ``agency_id`` names; a 422 saying ``why`` for an agency not among them."""
        party = next((p for p in self.parties if p.agency_id == agency_id), None)
        if party is None:
            raise RuleViolated(
                f"agency {agency_id} is not a party to this MoU; {why}",
                field="agency_id",
                agency_id=agency_id,
            )
        return party

    def _ensure_not_ended(self, action: str) -> None:
        if self.status in ENDED:
            raise InvalidTransition(
                f"cannot {action} this MoU: it is {self.status}", current_state=self.status
            )


class MouFilter(Filter):
    """What ``GET /mous`` can filter on."""

    status: MouStatus | None = None
    party: str | None = None
