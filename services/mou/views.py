"""The MoU resource as the HTTP API shows it, apart from the stored ``Mou`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Mou``,
``Party``, ``WorkingTeamMember``), so clients generated from it keep their types; routes use
them as ``views.Mou``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from shared.clock import UtcDateTime
from shared.events.catalogue import MouStatus
from shared.http.views import ResourceView


class Party(BaseModel):
    """An agency party to the MoU and its signature (all ``None`` until it signs)."""

    agency_id: str
    code: str
    name: str
    signed_at: UtcDateTime | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None


class WorkingTeamMember(BaseModel):
    """A member of the Tim Kerja Percepatan Pembentukan MPP, from one of the parties."""

    agency_id: str
    agency_code: str
    agency_name: str
    name: str
    role: str
    appointed_at: UtcDateTime


class Mou(ResourceView):
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
