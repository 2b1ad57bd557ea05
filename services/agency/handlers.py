"""One handler per command: load, call the domain, save (state and events together)."""

from __future__ import annotations

from services.agency.commands import (
    AddService,
    DeactivateAgency,
    RegisterAgency,
    RemoveService,
    UpdateAgency,
)
from services.agency.domain import Agency
from services.agency.repository import AgencyRepository
from shared.errors import Conflict


async def register_agency(command: RegisterAgency, agencies: AgencyRepository) -> Agency:
    if await agencies.find_one({"code": command.code}) is not None:
        raise Conflict(f"an agency with code {command.code} exists", field="code")
    agency = Agency.register(
        code=command.code,
        name=command.name,
        kind=command.kind,
        acronym=command.acronym,
        contact=command.contact,
        services=command.services,
    )
    await agencies.add(agency)
    return agency


async def update_agency(command: UpdateAgency, agencies: AgencyRepository) -> Agency:
    agency = await agencies.get(command.agency_id)
    agency.ensure_version(command.expected_version)
    if agency.update(command.changes):
        await agencies.save(agency)
    return agency


async def add_service(command: AddService, agencies: AgencyRepository) -> Agency:
    agency = await agencies.get(command.agency_id)
    agency.ensure_version(command.expected_version)
    agency.add_service(command.service)
    await agencies.save(agency)
    return agency


async def remove_service(command: RemoveService, agencies: AgencyRepository) -> Agency:
    agency = await agencies.get(command.agency_id)
    agency.ensure_version(command.expected_version)
    agency.remove_service(command.service_code)
    await agencies.save(agency)
    return agency


async def deactivate_agency(command: DeactivateAgency, agencies: AgencyRepository) -> Agency:
    agency = await agencies.get(command.agency_id)
    agency.ensure_version(command.expected_version)
    agency.deactivate(command.reason)
    await agencies.save(agency)
    return agency
