"""FastAPI dependencies and answers every service's routes share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response

from shared.bus import Command, CommandBus
from shared.container import ServiceContainer, service_container
from shared.domain import Aggregate, ExpectedVersion
from shared.http.concurrency import if_match_version, set_etag
from shared.http.views import ResourceView

A = TypeVar("A", bound=Aggregate)
V = TypeVar("V", bound=ResourceView)


async def command_bus(
    container: Annotated[ServiceContainer, Depends(service_container)],
) -> CommandBus:
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


async def versioned_change(
    response: Response,
    bus: Bus,
    expected_version: Annotated[ExpectedVersion, Depends(if_match_version)],
) -> VersionedChange:
    return VersionedChange(bus, expected_version, response)


Versioned = Annotated[VersionedChange, Depends(versioned_change)]
"""A route's parameter for changing one aggregate under ``If-Match``."""


@dataclass(frozen=True)
class ResourceCreation:
    """What a route creating an aggregate needs: the bus, and the request and response the new
    resource's ``Location`` and ETag go on."""

    bus: CommandBus
    request: Request
    response: Response

    async def handle(self, command: Command[A], *, read_at: str, id_param: str) -> A:
        """Run ``command``; the new aggregate's version is the ETag and the route named
        ``read_at`` (its id the path parameter ``id_param``) the ``Location``."""
        created = await self.bus.handle(command)
        where = self.request.url_for(read_at, **{id_param: created.id})
        self.response.headers["Location"] = str(where)
        return with_etag(self.response, created)

    async def answer(self, view: type[V], command: Command[A], *, read_at: str, id_param: str) -> V:
        """``handle``, answering ``view`` of the new aggregate."""
        created = await self.handle(command, read_at=read_at, id_param=id_param)
        return view.from_aggregate(created)


async def resource_creation(request: Request, response: Response, bus: Bus) -> ResourceCreation:
    return ResourceCreation(bus, request, response)


Creating = Annotated[ResourceCreation, Depends(resource_creation)]
"""A route's parameter for creating one aggregate (``201`` with ``Location`` and ETag)."""
