"""The agency service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.agency.container import AgencyContainer
from services.agency.repository import AgencyRepository
from shared.container import container_dependency

Container = Annotated[AgencyContainer, Depends(container_dependency(AgencyContainer))]


def _agencies(container: Container) -> AgencyRepository:
    return container.agencies


Agencies = Annotated[AgencyRepository, Depends(_agencies)]
