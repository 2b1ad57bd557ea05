"""FastAPI dependencies and answers every service's routes share."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request, Response

from shared.bus import CommandBus
from shared.domain import Aggregate
from shared.http.concurrency import set_etag

A = TypeVar("A", bound=Aggregate)


def command_bus(request: Request) -> CommandBus:
    """The service's command bus, wired in its bootstrap."""
    bus: CommandBus = request.app.state.bus
    return bus


def with_etag(response: Response, aggregate: A) -> A:
    """Answer ``aggregate`` with its version as the ETag (what ``If-Match`` names later)."""
    set_etag(response, aggregate.version)
    return aggregate
