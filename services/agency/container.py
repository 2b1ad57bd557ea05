"""What the agency service's bootstrap builds: its runtime, bus and repository."""

from __future__ import annotations

from dataclasses import dataclass

from services.agency.repository import AgencyRepository
from shared.container import ServiceContainer


@dataclass(frozen=True, kw_only=True)
class AgencyContainer(ServiceContainer):
    """The agency service's parts.

    Args:
        agencies: the agencies, the aggregate this service owns.
    """

    agencies: AgencyRepository
