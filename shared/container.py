"""What a service's bootstrap builds, held on its app as one typed attribute.

Every service's bootstrap returns a frozen container (as cosmicpython's bootstrap returns its
bus): the runtime, the command bus and the service's repositories, projections and workers
as named fields. The app keeps it in ``app.state.container``; ``container_of`` is the one
place that reads it, so routes and tests name what they need instead of reaching into
``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, Request

from shared.bus import CommandBus
from shared.http.access import HttpAccess
from shared.runtime import ServiceRuntime

ScrapeHook = Callable[[], Awaitable[None]]
"""Work done before each ``/metrics`` answer (see ``shared.scrape``)."""

C = TypeVar("C", bound="ServiceContainer")


@dataclass(frozen=True, kw_only=True)
class ServiceContainer:
    """What every service has; each service's container adds its own fields.

    Args:
        runtime: broker, storage, relay, consumers and workers, one life cycle.
        bus: the commands the service's routes send.
        scrape_hooks: gauges refreshed when Prometheus scrapes ``/metrics``.
    """

    runtime: ServiceRuntime
    bus: CommandBus
    scrape_hooks: tuple[ScrapeHook, ...] = ()
    access: HttpAccess = field(init=False)
    """The API keys and the failed-authentication limiter, from the runtime's settings."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "access", HttpAccess.from_settings(self.runtime.settings))


def attach(app: FastAPI, container: ServiceContainer) -> None:
    """Keep ``container`` on ``app``: its one attribute besides FastAPI's own."""
    app.state.container = container


def container_of(app: FastAPI, kind: type[C]) -> C:
    """``app``'s container, checked to be a ``kind`` (a service's own container class)."""
    container = app.state.container
    if not isinstance(container, kind):
        raise TypeError(f"the app holds a {type(container).__name__}, not a {kind.__name__}")
    return container


async def service_container(request: Request) -> ServiceContainer:
    """The FastAPI dependency every shared route uses to reach its service's container.

    This and every other dependency here are ``async def``: FastAPI runs a plain ``def``
    dependency on a worker thread, one hand-off per request (and up to 40 idle threads kept).
    """
    return container_of(request.app, ServiceContainer)


def container_parts(kind: type[C]) -> Callable[[Callable[[C], object]], Any]:
    """Route parameters' ``Depends`` on the parts of a service's container (a ``kind``).

    ``_malls = container_parts(MallContainer)(lambda c: c.malls)`` then
    ``Annotated[MallRepository, _malls]`` is the route parameter for the mall repository.
    """

    def part(read: Callable[[C], object]) -> Any:
        async def dependency(request: Request) -> object:
            return read(container_of(request.app, kind))

        return Depends(dependency)

    return part
