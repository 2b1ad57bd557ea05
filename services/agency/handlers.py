"""The handlers of commands: load, call the domain, save (state and events together).

A command on an existing agency is one line of ``DOMAIN_CALLS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.agency.commands import (
    AddService,
    AgencyChange,
    DeactivateAgency,
    RegisterAgency,
    RemoveService,
    UpdateAgency,
)
from services.agency.domain import Agency
from services.agency.repository import AgencyRepository
from shared.errors import Conflict
from shared.unit_of_work import change


async def register_agency(command: RegisterAgency, agencies: AgencyRepository) -> Agency:
    if await agencies.find_one({"code": command.code}) is not None:
        raise Conflict(f"an agency with code {command.code} exists", field="code")
    agency = Agency.register(**command.arguments())
    await agencies.add(agency)
    return agency


DOMAIN_CALLS: dict[type[AgencyChange], Callable[[Agency, Any], object]] = {
    UpdateAgency: lambda agency, command: agency.update(command.changes),
    AddService: lambda agency, command: agency.add_service(command.service),
    RemoveService: lambda agency, command: agency.remove_service(command.service_code),
    DeactivateAgency: lambda agency, command: agency.deactivate(command.reason),
}
"""The commands on an existing agency: the domain method each one calls."""


async def change_agency(command: AgencyChange, agencies: AgencyRepository) -> Agency:
    """Any command of ``DOMAIN_CALLS``: load the agency, call the domain, save."""
    call = DOMAIN_CALLS[type(command)]
    return await change(
        agencies, command.agency_id, command.expected_version, lambda agency: call(agency, command)
    )


update_agency = add_service = remove_service = deactivate_agency = change_agency
