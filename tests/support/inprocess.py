"""Services under test with no RabbitMQ: FastStream's test broker, HTTP over ASGI.

``run_in_process`` builds a service around a broker ``TestRabbitBroker`` patches (connect,
declarations and publishing stay in memory), runs the app's lifespan (the runtime and its
workers start as in production) and talks HTTP to it through ``httpx.ASGITransport``, or
with ``loopback=True`` over real HTTP (uvicorn on 127.0.0.1: streams, browsers, scrapers).

``run_together`` does so for several services at once and carries what one publishes on
``mpp.events`` to every consumer of the others whose bindings match it, as RabbitMQ's topic
exchange would: the agency service's events reach the MoU and mall projections. What the test
broker ignores (acknowledgements, dead-lettering, queue arguments, ordering under load) is for
the suites on the real broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker, TestRabbitBroker
from faststream.rabbit.testing import apply_pattern

from shared.container import ServiceContainer, container_of
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.settings import ServiceSettings
from shared.storage import Storage
from tests.support.servers import RunningService, serve, service_settings

BASE_URL = "http://testserver"


@dataclass(frozen=True)
class Spec:
    """One service to run: how to build it, with which settings and store."""

    build_app: Callable[..., FastAPI]
    settings: ServiceSettings | None = None
    storage: Storage | None = None
    options: tuple[tuple[str, Any], ...] = ()


@asynccontextmanager
async def run_in_process(
    build_app: Callable[..., FastAPI],
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    *,
    loopback: bool = False,
    **options: Any,
) -> AsyncIterator[RunningService]:
    """One service, started with no broker, answering HTTP in process (or on ``loopback``)."""
    spec = Spec(build_app, settings, storage, tuple(options.items()))
    async with run_together(spec, loopback=loopback) as (running,):
        yield running


@asynccontextmanager
async def run_together(
    *specs: Spec, loopback: bool = False
) -> AsyncIterator[tuple[RunningService, ...]]:
    """Several services, started in order with no broker, their events carried in memory."""
    brokers = [RabbitBroker() for _ in specs]
    apps = [
        spec.build_app(
            spec.settings or service_settings(), spec.storage, broker, **dict(spec.options)
        )
        for spec, broker in zip(specs, brokers, strict=True)
    ]
    consumers = [
        (broker, consumer)
        for app, broker in zip(apps, brokers, strict=True)
        for consumer in container_of(app, ServiceContainer).runtime.consumers
    ]
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(TestRabbitBroker(*brokers, connect_only=True))
        for broker in brokers:
            _carry_events(broker, consumers)
        running = []
        for app in apps:
            if loopback:
                running.append(await stack.enter_async_context(serve(app)))
                continue
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=10
                )
            )
            running.append(RunningService(app=app, base_url=BASE_URL, client=client))
        yield tuple(running)


def _carry_events(
    broker: RabbitBroker, consumers: Sequence[tuple[RabbitBroker, EventConsumer]]
) -> None:
    """After ``broker`` publishes on ``mpp.events``, hand the message to each matching consumer
    (through its own queue on the default exchange, which the test broker routes)."""
    publish = broker.publish

    async def publish_and_route(
        message: Any = None, queue: Any = "", exchange: Any = None, **options: Any
    ) -> Any:
        result = await publish(message, queue, exchange, **options)
        routing_key = str(options.get("routing_key", ""))
        if getattr(exchange, "name", exchange) == EVENTS_EXCHANGE.name:
            options.pop("routing_key", None)
            for owner, consumer in consumers:
                if any(apply_pattern(b, routing_key) for b in consumer.queue.bindings):
                    await owner.publish(message, consumer.queue.name, **options)
        return result

    broker.publish = publish_and_route  # type: ignore[method-assign]
