"""The FastAPI app every service is: same middleware, errors, health and life cycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI

from shared.container import ServiceContainer, attach
from shared.heap import fill_loop_free_lists, freeze_startup_objects
from shared.http.conditional import ConditionalGetMiddleware
from shared.http.cors import install_cors
from shared.http.health import router as health_router
from shared.http.limits import BodyLimitMiddleware
from shared.http.middleware import RequestContextMiddleware
from shared.http.problems import PROBLEM_RESPONSES, install_problem_handlers
from shared.http.server import server_limits
from shared.logging import configure_logging, get_logger
from shared.messaging.connection import check_broker_or_exit
from shared.settings import ServiceSettings
from shared.tracing import instrument_app

log = get_logger(__name__)

S = TypeVar("S", bound=ServiceSettings)
P = ParamSpec("P")


def create_app(
    container: ServiceContainer,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    webhooks: Sequence[APIRouter] = (),
) -> FastAPI:
    """The service's HTTP app; its lifespan starts and stops the container's runtime.

    Args:
        container: what the service's bootstrap built; the app holds it, routes reach it
            through ``shared.container``.
        title: the OpenAPI title.
        description: the OpenAPI description.
        routers: the service's resource routers.
        webhooks: what the service sends to other servers, documented in OpenAPI's
            ``webhooks`` section (no route is served).
    """
    runtime = container.runtime

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        fill_loop_free_lists(asyncio.get_running_loop())
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    attach(app, container)
    if not container.access.keys.configured:
        log.warning(
            "auth.no_keys",
            detail="neither MPP_API_KEY nor MPP_API_KEYS is set: every write will be refused",
        )
    install_problem_handlers(app)
    app.add_middleware(ConditionalGetMiddleware)
    # a body is capped before anything reads it (routing, parsing, auth); only the request
    # context (request id, access log, metrics) sits outside, so a 413 is logged and counted
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=runtime.settings.max_body_bytes,
        timeout_seconds=runtime.settings.http_body_timeout_seconds,
    )
    app.add_middleware(RequestContextMiddleware, service=runtime.name)
    install_cors(app, runtime.settings.cors_allowed_origins)
    instrument_app(app, runtime.name)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    for webhook in webhooks:
        app.webhooks.include_router(webhook)
    return app


def app_builder(
    bootstrap: Callable[P, ServiceContainer],
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    webhooks: Sequence[APIRouter] = (),
) -> Callable[P, FastAPI]:
    """A service's ``build_app``: ``create_app`` over what its ``bootstrap`` builds.

    Args:
        bootstrap: the service's parts, nothing started, from ``(settings, storage, broker)``:
            settings by default from the environment (a plain ``ServiceSettings`` gets a
            service's own settings from there too); storage an already connected store (tests
            restart a service on the same one); broker by default one failing over between
            the nodes of ``RABBITMQ_URL``. ``build_app`` takes the same arguments.
        title: the OpenAPI title.
        description: the OpenAPI description.
        routers: the service's resource routers.
        webhooks: what the service sends to other servers (see ``create_app``).
    """

    def build_app(*args: P.args, **kwargs: P.kwargs) -> FastAPI:
        container = bootstrap(*args, **kwargs)
        return create_app(
            container, title=title, description=description, routers=routers, webhooks=webhooks
        )

    return build_app


def serve(app: FastAPI, settings: ServiceSettings, default_port: int) -> None:
    """Run ``app`` under uvicorn until SIGINT/SIGTERM, then shut down gracefully.

    The broker is checked first, so a wrong password or virtual host ends start-up at once
    with one line instead of a lifespan traceback.
    """
    check_broker_or_exit(settings.rabbitmq_url, settings.broker_connect_timeout_seconds)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port or default_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        proxy_headers=True,
        **server_limits(settings),
    )


def run_service(
    service: str,
    settings: S,
    build_app: Callable[[S], FastAPI],
    default_port: int,
) -> None:
    """What ``python -m services.<service>`` does: log as the service, then serve its app."""
    configure_logging(service, level=settings.log_level, fmt=settings.log_format)
    serve(build_app(settings), settings, default_port)
