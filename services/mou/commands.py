"""What callers may ask of the MoU service, named in the imperative."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.bus import Command


class DraftMou(Command):
    title: str
    parties: list[str]
    number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class ReviseMou(Command):
    mou_id: str
    changes: dict[str, Any]
    """Only the fields given; ``parties`` is the complete new list of agency ids."""


class ScheduleSigning(Command):
    mou_id: str
    signing_at: datetime


class SignMou(Command):
    mou_id: str
    agency_id: str
    signatory_name: str
    signatory_title: str
    signed_at: datetime | None = None


class AppointTeamMember(Command):
    mou_id: str
    agency_id: str
    name: str
    role: str


class TerminateMou(Command):
    mou_id: str
    reason: str
