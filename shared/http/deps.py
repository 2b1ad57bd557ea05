"""FastAPI dependencies and answers every service's routes share."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Response

from shared.bus import CommandBus
from shared.container import ServiceContainer, service_container
from shared.domain import Aggregate
from shared.http.concurrency import set_etag

A = TypeVar("A", bound=Aggregate)


def command_bus(container: Annotated[ServiceContainer, Depends(service_container)]) -> CommandBus:
    """The service's command bus, wired in its bootstrap."""
    return container.bus


Bus = Annotated[CommandBus, Depends(command_bus)]
"""A route's parameter for the service's command bus."""


def with_etag(response: Response, aggregate: A) -> A:
    """Answer ``aggregate`` with its version as the ETag (what ``If-Match`` names later)."""
    set_etag(response, aggregate.version)
    return aggregate
