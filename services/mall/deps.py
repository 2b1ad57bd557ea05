"""The mall service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.mall.container import MallContainer
from services.mall.dashboard.figures import DashboardSettings
from services.mall.projections import MouRegister
from services.mall.repository import MallRepository
from shared.container import container_dependency

Container = Annotated[MallContainer, Depends(container_dependency(MallContainer))]


def _malls(container: Container) -> MallRepository:
    return container.malls


def _mou_directory(container: Container) -> MouRegister:
    return container.mou_directory


def _dashboard(container: Container) -> DashboardSettings:
    return container.dashboard


Malls = Annotated[MallRepository, Depends(_malls)]
MouDirectory = Annotated[MouRegister, Depends(_mou_directory)]
Dashboard = Annotated[DashboardSettings, Depends(_dashboard)]
