"""What callers may ask of the agency service, named in the imperative.

Each command names what its handler returns: ``Command[Agency]`` answers with the agency.
"""

from __future__ import annotations

from services.agency.domain import Agency, AgencyChanges
from shared.bus import Change, Command
from shared.events.catalogue import AgencyKind, AgencyService, Contact


class RegisterAgency(Command[Agency]):
    code: str
    name: str
    kind: AgencyKind
    acronym: str | None = None
    contact: Contact | None = None
    services: list[AgencyService] = []


class AgencyChange(Change[Agency]):
    """A command on one existing agency, which it names; ``apply`` calls the domain."""

    agency_id: str

    @property
    def aggregate_id(self) -> str:
        return self.agency_id


class UpdateAgency(AgencyChange):
    changes: AgencyChanges

    def apply(self, agency: Agency) -> None:
        agency.update(self.changes)


class AddService(AgencyChange):
    service: AgencyService

    def apply(self, agency: Agency) -> None:
        agency.add_service(self.service)


class RemoveService(AgencyChange):
    service_code: str

    def apply(self, agency: Agency) -> None:
        agency.remove_service(self.service_code)


class DeactivateAgency(AgencyChange):
    reason: str | None = None

    def apply(self, agency: Agency) -> None:
        agency.deactivate(self.reason)
