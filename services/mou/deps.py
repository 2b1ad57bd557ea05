"""The MoU service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.mou.container import MouContainer
from services.mou.repository import MouRepository
from shared.container import container_dependency

Container = Annotated[MouContainer, Depends(container_dependency(MouContainer))]


def _mous(container: Container) -> MouRepository:
    return container.mous


Mous = Annotated[MouRepository, Depends(_mous)]
