"""The handlers of commands: load, call the domain, save (state and events together).

A command on an existing agency says itself which domain call it is (``AgencyChange.apply``).
"""

from __future__ import annotations

from services.agency.commands import AgencyChange, RegisterAgency
from services.agency.domain import Agency
from services.agency.repository import AgencyRepository
from shared.bus import apply_change
from shared.errors import Conflict


async def register_agency(command: RegisterAgency, agencies: AgencyRepository) -> Agency:
    if await agencies.find_one({"code": command.code}) is not None:
        raise Conflict(f"an agency with code {command.code} exists", field="code")
    agency = Agency.register(**command.arguments())
    await agencies.add(agency)
    return agency


async def change_agency(command: AgencyChange, agencies: AgencyRepository) -> Agency:
    """A command on an existing agency: its domain call (``apply``), saved if it changed."""
    return await apply_change(agencies, command)
