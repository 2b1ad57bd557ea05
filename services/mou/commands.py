"""What callers may ask of the MoU service, named in the imperative.

Each command names what its handler returns: ``Command[Mou]`` answers with the MoU.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, datetime

from services.mou.domain import Mou, MouChanges
from shared.bus import Change, Command
from shared.domain import AgencyInfo


class DraftMou(Command[Mou]):
    title: str
    parties: list[str]
    number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class MouChange(Change[Mou]):
    """A command on one existing MoU, which it names; ``apply`` calls the domain."""

    mou_id: str

    @property
    def aggregate_id(self) -> str:
        return self.mou_id


class ReviseMou(Command[Mou]):
    mou_id: str
    changes: MouChanges


class ScheduleSigning(MouChange):
    signing_at: datetime

    def apply(self, mou: Mou) -> None:
        mou.schedule_signing(self.signing_at)


class PartyAct(Command[Mou]):
    """A command a party to the MoU gives; ``apply`` calls the domain with what is known of
    the party's agency now."""

    mou_id: str
    agency_id: str

    @abstractmethod
    def apply(self, mou: Mou, agency: AgencyInfo | None) -> None:
        """Call the domain: the one change the party asks of ``mou``."""


class SignMou(PartyAct):
    signatory_name: str
    signatory_title: str
    signed_at: datetime | None = None

    def apply(self, mou: Mou, agency: AgencyInfo | None) -> None:
        mou.sign(
            self.agency_id,
            signatory_name=self.signatory_name,
            signatory_title=self.signatory_title,
            signed_at=self.signed_at,
            agency=agency,
        )


class AppointTeamMember(PartyAct):
    name: str
    role: str

    def apply(self, mou: Mou, agency: AgencyInfo | None) -> None:
        mou.appoint_team_member(self.agency_id, name=self.name, role=self.role, agency=agency)


class TerminateMou(MouChange):
    reason: str

    def apply(self, mou: Mou) -> None:
        mou.terminate(self.reason)
