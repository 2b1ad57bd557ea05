"""A service's moving parts and their start and stop order.

Start: storage indexes, broker connection (retried until RabbitMQ answers), topology,
consumers, the outbox relay, periodic tasks. Stop, in reverse, gracefully: periodic tasks,
consumers (in-flight messages finish), a last relay pass, the broker, storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from shared.background import cancel_and_wait
from shared.events.catalogue import EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES
from shared.events.wire import event_envelope_model, match_the_wire
from shared.logging import correlation_scope, get_logger
from shared.messaging.connection import (
    Nodes,
    broker_urls,
    connect_first,
    failover_broker,
    redact,
)
from shared.messaging.consumer import Consumption, EventConsumer
from shared.messaging.identity import configure_identities
from shared.messaging.publisher import EventPublisher, amqp_user
from shared.messaging.topology import (
    EVENTS_EXCHANGE,
    ConsumerQueue,
    declare_consumer_queue,
    declare_events_exchange,
)
from shared.outbox import AggregateStore, OutboxRelay, ensure_outbox_indexes
from shared.settings import ServiceSettings
from shared.storage import Storage, connect
from shared.tracing import broker_middlewares

log = get_logger(__name__)


@dataclass
class PeriodicTask:
    """Work a service does on a schedule (e.g. expiring MoUs), safe to run on every replica.

    Args:
        name: for logs.
        interval_seconds: pause between runs.
        run: the work; an exception is logged and the task runs again next interval.
    """

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[Any]]


@dataclass
class ServiceRuntime:
    """Everything a service runs besides its HTTP routes.

    Args:
        name: ``agency``, ``mou``, ``mall`` or ``notify``.
        settings: from the environment.
        storage: the service's own database.
        broker: the RabbitMQ connection; consumers and the publisher share it.
    """

    name: str
    settings: ServiceSettings
    storage: Storage
    broker: RabbitBroker
    publisher: EventPublisher
    nodes: Nodes | None = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    periodic: list[PeriodicTask] = field(default_factory=list)
    setup: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: bool = False

    @classmethod
    def create(
        cls, name: str, settings: ServiceSettings, storage: Storage | None = None
    ) -> ServiceRuntime:
        """Storage and broker for ``name`` from ``settings``; nothing connects yet.

        Args:
            storage: an already connected store to use instead (tests restart a service on
                the same in-process store this way).
        """
        configure_identities(settings.mpp_broker_identities, service=name)
        storage = storage or connect(
            settings.mongodb_url, settings.mongodb_database or f"mpp_{name}"
        )
        broker, nodes = failover_broker(
            broker_urls(settings.rabbitmq_url),
            reconnect_interval=settings.broker_reconnect_seconds,
            graceful_timeout=settings.shutdown_grace_seconds,
            app_id=f"mpp-{name}",
            logger=logging.getLogger(f"faststream.{name}"),
            log_level=logging.DEBUG,
            middlewares=broker_middlewares(name),
        )
        return cls(
            name=name,
            settings=settings,
            storage=storage,
            broker=broker,
            nodes=nodes,
            publisher=EventPublisher(
                broker, service=name, user_id=amqp_user(broker_urls(settings.rabbitmq_url)[0])
            ),
        )

    # --- wiring -----------------------------------------------------------------------------

    def aggregate_store(self, collection_name: str) -> AggregateStore:
        """A store for an aggregate collection whose events the relay publishes."""
        collection = self.storage.db[collection_name]
        if self.relay is None:
            self.relay = OutboxRelay(
                service=self.name,
                collections=[],
                publisher=self.publisher,
                poll_seconds=self.settings.outbox_poll_seconds,
                lease_seconds=self.settings.outbox_lease_seconds,
                broker_ready=lambda: self.broker.ping(timeout=0.1),
                durable_store=self.storage.durable,
            )
        self.relay.add_collection(collection)
        self.setup.append(lambda: ensure_outbox_indexes(collection))
        return AggregateStore(collection, on_commit=self.relay.wake)

    def add_consumer(self, consumer: EventConsumer) -> None:
        consumer.subscribe(self.broker)
        self.consumers.append(consumer)

    def consume(self, consumptions: Iterable[Consumption]) -> None:
        """Consume each queue: from this service, into its database, with its delivery limit."""
        for consumption in consumptions:
            queue = ConsumerQueue(
                consumption.queue,
                bindings=consumption.bindings,
                delivery_limit=self.settings.consumer_delivery_limit,
            )
            self.add_consumer(
                EventConsumer(
                    service=self.name,
                    queue=queue,
                    db=self.storage.db,
                    handlers=consumption.handlers,
                )
            )

    def document_publications(self, prefix: str) -> None:
        """Describe the events this service publishes in its AsyncAPI document."""
        for event_type in EVENT_TYPES:
            if event_type.startswith(prefix + "."):
                self.broker.publisher(
                    exchange=EVENTS_EXCHANGE,
                    routing_key=event_type,
                    title=event_type,
                    description=EVENT_TYPE_DESCRIPTIONS[event_type],
                    schema=event_envelope_model(event_type),
                    persist=True,
                    mandatory=False,  # as EventPublisher publishes
                )

    def asyncapi(self) -> dict[str, Any]:
        spec = AsyncAPI(self.broker, title=f"MPP {self.name} service", version="1.0.0")
        result: dict[str, Any] = spec.to_specification().to_jsonable()
        return match_the_wire(result, self.settings.rabbitmq_url)

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        for step in self.setup:
            await step()
        await self._connect_broker()
        await declare_events_exchange(self.broker)
        for consumer in self.consumers:
            await declare_consumer_queue(self.broker, consumer.queue, consumer.channel)
        await self.broker.start()
        if self.relay is not None:
            self.relay.start()
        for task in self.periodic:
            self._tasks.append(asyncio.create_task(self._every(task), name=task.name))
        self.started = True
        log.info("service.started", consumers=[c.queue.name for c in self.consumers])

    async def stop(self) -> None:
        log.info("service.stopping")
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        for consumer in self.consumers:
            consumer.close()
        for subscriber in self.broker.subscribers:
            with contextlib.suppress(Exception):
                await subscriber.stop()
        if self.relay is not None:
            await self.relay.stop()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        self.storage.close()
        self.started = False
        log.info("service.stopped")

    async def ready(self) -> dict[str, bool]:
        """What /readyz reports: can we reach the broker and the database now?"""
        broker_ok, database_ok = await asyncio.gather(
            self.broker.ping(timeout=1.0), self.storage.ping()
        )
        return {"broker": bool(broker_ok), "database": database_ok}

    async def _connect_broker(self) -> None:
        """Connect to the first node that answers; fail at once on a refusal (see connection)."""
        nodes = self.nodes or Nodes(broker_urls(self.settings.rabbitmq_url))
        await connect_first(
            nodes,
            lambda _url: self.broker.connect(),
            deadline_seconds=self.settings.broker_connect_timeout_seconds,
        )
        log.info("broker.connected", url=redact(nodes.url))

    async def _every(self, task: PeriodicTask) -> None:
        while True:
            with correlation_scope(None):
                try:
                    await task.run()
                except Exception:
                    log.exception("periodic.failed", task=task.name)
            await asyncio.sleep(task.interval_seconds)
