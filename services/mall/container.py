"""What the mall service's bootstrap builds: its runtime, bus, repository and projections."""

from __future__ import annotations

from dataclasses import dataclass

from services.mall.consumers import CounterFlags
from services.mall.dashboard.figures import DashboardSettings
from services.mall.projections import MouRegister
from services.mall.repository import MallRepository
from shared.container import ServiceContainer
from shared.projections.agencies import AgencyDirectory


@dataclass(frozen=True, kw_only=True)
class MallContainer(ServiceContainer):
    """The mall service's parts.

    Args:
        malls: the malls, the aggregate this service owns.
        agency_directory: the agencies as their events told (a projection).
        mou_directory: the MoUs as their events told (a projection).
        counter_flags: what MoU and agency events do to the counters (their consumer's work).
        dashboard: the dashboard's settings (where notify's live feed is).
    """

    malls: MallRepository
    agency_directory: AgencyDirectory
    mou_directory: MouRegister
    counter_flags: CounterFlags
    dashboard: DashboardSettings
