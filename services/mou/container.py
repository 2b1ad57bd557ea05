"""What the MoU service's bootstrap builds: its runtime, bus, repository and projection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from services.mou.repository import MouRepository
from shared.container import ServiceContainer
from shared.projections.agencies import AgencyDirectory

ExpireDue = Callable[[date | None], Awaitable[list[str]]]
"""One expiry pass as of a day (None: today); answers the ids of the MoUs it expired."""


@dataclass(frozen=True, kw_only=True)
class MouContainer(ServiceContainer):
    """The MoU service's parts.

    Args:
        mous: the MoUs, the aggregate this service owns.
        agency_directory: the agencies as their events told (a projection).
        expire_due: the periodic expiry's work, to run at once (tests, operators).
    """

    mous: MouRepository
    agency_directory: AgencyDirectory
    expire_due: ExpireDue
