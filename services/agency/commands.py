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


class AgencyChange(Command[Agency]):
    """A command on one existing agency, which it names."""

    agency_id: str


class UpdateAgency(AgencyChange):
    changes: AgencyChanges


class AddService(AgencyChange):
    service: AgencyService


class RemoveService(AgencyChange):
    service_code: str


class DeactivateAgency(AgencyChange):
    reason: str | None = None
