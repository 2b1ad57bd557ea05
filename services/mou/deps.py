"""The MoU service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from services.mou.container import MouContainer
from services.mou.repository import MouRepository
from shared.container import container_parts

_part = container_parts(MouContainer)

_mous = _part(lambda c: c.mous)

Mous = Annotated[MouRepository, _mous]
