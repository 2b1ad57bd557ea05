"""What callers may ask of the agency service, named in the imperative."""

from __future__ import annotations

from typing import Any

from shared.bus import Command
from shared.events.catalogue import AgencyKind, AgencyService, Contact


class RegisterAgency(Command):
    code: str
    name: str
    kind: AgencyKind
    acronym: str | None = None
    contact: Contact | None = None
    services: list[AgencyService] = []


class UpdateAgency(Command):
    agency_id: str
    changes: dict[str, Any]


class AddService(Command):
    agency_id: str
    service: AgencyService


class RemoveService(Command):
    agency_id: str
    service_code: str


class DeactivateAgency(Command):
    agency_id: str
    reason: str | None = None
