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


class ReviseMou(Command[Mou]):
    mou_id: str
    changes: MouChanges


class ScheduleSigning(Command[Mou]):
    mou_id: str
    signing_at: datetime


class SignMou(Command[Mou]):
    mou_id: str
    agency_id: str
    signatory_name: str
    signatory_title: str
    signed_at: datetime | None = None


class AppointTeamMember(Command[Mou]):
    mou_id: str
    agency_id: str
    name: str
    role: str


class TerminateMou(Command[Mou]):
    mou_id: str
    reason: str
