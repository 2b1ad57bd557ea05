"""What callers may ask of the MoU service, named in the imperative.

Each command names what its handler returns: ``Command[Mou]`` answers with the MoU.
"""

from __future__ import annotations

from datetime import date, datetime

from services.mou.domain import Mou, MouChanges
from shared.bus import Command


class DraftMou(Command[Mou]):
    title: str
    parties: list[str]
    number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class MouChange(Command[Mou]):
    """A command on one existing MoU, which it names."""

    mou_id: str


class ReviseMou(MouChange):
    changes: MouChanges


class ScheduleSigning(MouChange):
    signing_at: datetime


class SignMou(MouChange):
    agency_id: str
    signatory_name: str
    signatory_title: str
    signed_at: datetime | None = None


class AppointTeamMember(MouChange):
    agency_id: str
    name: str
    role: str


class TerminateMou(MouChange):
    reason: str
