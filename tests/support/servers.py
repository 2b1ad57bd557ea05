"""Running a service for real: uvicorn on a free loopback port, in the test's event loop."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from shared.container import ServiceContainer, container_of
from shared.settings import ServiceSettings
from shared.storage import Storage, connect
from tests.support.eventually import eventually
from tests.support.vhost import run_vhost_url

RABBITMQ_URL = run_vhost_url()
"""The test run's own vhost on the broker (see ``tests.support.vhost``): never the live one."""
API_KEY = "test-key"

C = TypeVar("C", bound=ServiceContainer)


def service_settings(**overrides: Any) -> ServiceSettings:
    """Settings for a service under test: fast relay, fast reconnect, a known key."""
    values: dict[str, Any] = {
        "rabbitmq_url": RABBITMQ_URL,
        "mongodb_url": os.environ.get("MONGODB_URL") or None,
        "mpp_api_key": API_KEY,
        "log_format": "console",
        "log_level": "INFO",
        "outbox_poll_seconds": 0.2,
        "broker_reconnect_seconds": 0.5,
        "broker_connect_timeout_seconds": 20,
        "shutdown_grace_seconds": 3,
    }
    values.update(overrides)
    return ServiceSettings(**values)


def fresh_storage(service: str) -> Storage:
    """A fresh store for one test: in-process, or a uniquely named database on MONGODB_URL."""
    url = os.environ.get("MONGODB_URL") or None
    name = f"test_{service}_{uuid.uuid4().hex[:10]}" if url else f"mpp_{service}"
    storage = connect(url, name)
    storage.keep_open = True
    return storage


async def drop_storage(storage: Storage) -> None:
    if storage.durable:
        await storage.client.drop_database(storage.db.name)
        storage.client.close()


@dataclass
class RunningService:
    """A service answering real HTTP on loopback."""

    app: FastAPI
    base_url: str
    client: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {API_KEY}"}

    def container(self, kind: type[C]) -> C:
        """The service's container (``MallContainer``, ...): its repositories and workers."""
        return container_of(self.app, kind)


@asynccontextmanager
async def uvicorn_serving(config: uvicorn.Config) -> AsyncIterator[int]:
    """Run uvicorn with ``config`` (port 0: a free one) until the block ends; yields the port."""
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped during start-up")
        return bool(server.started)

    await eventually(started, every=0.02, what="uvicorn started")
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[RunningService]:
    """Serve ``app`` on 127.0.0.1 at a free port until the block ends (graceful stop)."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
    )
    async with uvicorn_serving(config) as port:
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield RunningService(app=app, base_url=base_url, client=client)


@asynccontextmanager
async def run_service(
    build_app: Callable[..., FastAPI],
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
) -> AsyncIterator[RunningService]:
    """Build and serve a service with test settings."""
    app = build_app(settings or service_settings(), storage)
    async with serve(app) as running:
        yield running


async def until_answered(
    call: Callable[[], Awaitable[httpx.Response]],
    status: int = 201,
    timeout: float = 20.0,
    every: float = 0.2,
) -> httpx.Response:
    """Repeat ``call`` until it answers ``status``: projections learn from events, not at once."""
    return await eventually(
        call,
        until=lambda answer: answer.status_code == status,
        timeout=timeout,
        every=every,
        what=f"an answer {status}",
    )
