"""FastAPI dependencies and answers every service's routes share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Response

from shared.bus import Command, CommandBus
from shared.container import ServiceContainer, service_container
from shared.domain import Aggregate
from shared.http.concurrency import ExpectedVersion, if_match_version, set_etag
from shared.http.views import ResourceView

A = TypeVar("A", bound=Aggregate)
V = TypeVar("V", bound=ResourceView)


def command_bus(container: Annotated[ServiceContainer, Depends(service_container)]) -> CommandBus:
    """The service's command bus, wired in its bootstrap."""
    return container.bus


Bus = Annotated[CommandBus, Depends(command_bus)]
"""A route's parameter for the service's command bus."""


def with_etag(response: Response, aggregate: A) -> A:
    """Answer ``aggregate`` with its version as the ETag (what ``If-Match`` names later)."""
    set_etag(response, aggregate.version)
    return aggregate


@dataclass(frozen=True)
class VersionedChange:
    """What a route changing one aggregate needs: the bus, the versions ``If-Match`` accepts
    (every command it runs is pinned to them) and the response the changed version's ETag
    goes on."""

    bus: CommandBus
    expected_version: ExpectedVersion
    response: Response

    async def answer(self, view: type[V], command: Command[A]) -> V:
        """Run ``command`` pinned to the ``If-Match`` versions; answer ``view`` of the changed
        aggregate, its version the ETag."""
        pinned = command.model_copy(update={"expected_version": self.expected_version})
        return view.from_aggregate(with_etag(self.response, await self.bus.handle(pinned)))


def versioned_change(
    response: Response,
    bus: Bus,
    expected_version: Annotated[ExpectedVersion, Depends(if_match_version)],
) -> VersionedChange:
    return VersionedChange(bus, expected_version, response)


Versioned = Annotated[VersionedChange, Depends(versioned_change)]
"""A route's parameter for changing one aggregate under ``If-Match``."""
