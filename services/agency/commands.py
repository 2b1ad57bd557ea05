"""What callers may ask of the agency service, named in the imperative.

Each command names what its handler returns: ``Command[Agency]`` answers with the agency.
"""

from __future__ import annotations

from services.agency.domain import Agency, AgencyChanges
from shared.bus import Command
from shared.events.catalogue import AgencyKind, AgencyService, Contact


class RegisterAgency(Command[Agency]):
    code: str
    name: str
    kind: AgencyKind
    acronym: str | None = None
    contact: Contact | None = None
    services: list[AgencyService] = []


class UpdateAgency(Command[Agency]):
    agency_id: str
    changes: AgencyChanges


class AddService(Command[Agency]):
    agency_id: str
    service: AgencyService


class RemoveService(Command[Agency]):
    agency_id: str
    service_code: str


class DeactivateAgency(Command[Agency]):
    agency_id: str
    reason: str | None = None
