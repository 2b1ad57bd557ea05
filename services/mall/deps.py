"""The mall service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from services.mall.container import MallContainer
from services.mall.dashboard.figures import DashboardSettings
from services.mall.projections import MouRegister
from services.mall.repository import MallRepository
from shared.container import container_parts

_part = container_parts(MallContainer)

_malls = _part(lambda c: c.malls)
_mou_directory = _part(lambda c: c.mou_directory)
_dashboard = _part(lambda c: c.dashboard)

Malls = Annotated[MallRepository, _malls]
MouDirectory = Annotated[MouRegister, _mou_directory]
Dashboard = Annotated[DashboardSettings, _dashboard]
