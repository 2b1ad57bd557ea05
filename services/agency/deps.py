"""The agency service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from services.agency.container import AgencyContainer
from services.agency.repository import AgencyRepository
from shared.container import container_parts

_part = container_parts(AgencyContainer)

_agencies = _part(lambda c: c.agencies)

Agencies = Annotated[AgencyRepository, _agencies]
