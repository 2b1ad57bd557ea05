"""A service's moving parts and their one life cycle.

Start: storage indexes, then the workers in order: the broker connection (retried until
RabbitMQ answers) with its topology, the outbox relay, the consumers, then what the service
registered (periodic tasks; notify's connection, live feed and subscription workers). Stop,
in reverse, gracefully: the service's workers, the consumers (in-flight messages finish), a
last relay pass, the broker; then storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from shared.events.catalogue import EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES
from shared.events.wire import event_envelope_model, match_the_wire
from shared.lifecycle import Lifecycle, PeriodicTask, PeriodicWorker, Worker
from shared.logging import get_logger
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

__all__ = ["PeriodicTask", "ServiceRuntime", "Worker"]


class Indexed(Protocol):
    """A store whose collections need indexes before the service uses them."""

    def ensure_indexes(self) -> Awaitable[Any]: ...


@dataclass
class ServiceRuntime:
    """Everything a service runs besides its HTTP routes.

    Args:
        name: ``agency``, ``mou``, ``mall`` or ``notify``.
        settings: from the environment.
        storage: the service's own database.
        broker: the RabbitMQ connection; consumers and the publisher share it.
        lifecycle: the workers in start order: the broker's, then the service's.
    """

    name: str
    settings: ServiceSettings
    storage: Storage
    broker: RabbitBroker
    publisher: EventPublisher
    nodes: Nodes | None = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    setup: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    started: bool = False

    def __post_init__(self) -> None:
        self.lifecycle.add("broker", _BrokerConnection(self))
        self.lifecycle.add("outbox-relay", _Relay(self))
        self.lifecycle.add("consumers", _Consumers(self))

    @classmethod
    def create(
        cls,
        name: str,
        settings: ServiceSettings,
        storage: Storage | None = None,
        broker: RabbitBroker | None = None,
    ) -> ServiceRuntime:
        """Storage and broker for ``name`` from ``settings``; nothing connects yet.

        Args:
            storage: an already connected store to use instead (tests restart a service on
                the same in-process store this way).
            broker: a broker to use instead of one failing over between the nodes of
                ``settings.rabbitmq_url`` (tests pass one ``TestRabbitBroker`` patches).
        """
        configure_identities(settings.mpp_broker_identities, service=name)
        storage = storage or connect(
            settings.mongodb_url, settings.mongodb_database or f"mpp_{name}"
        )
        nodes = None
        if broker is None:
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

    def set_up_indexes(self, *stores: Indexed) -> None:
        """Create each store's indexes at start, before anything reads or writes it."""
        self.setup.extend(store.ensure_indexes for store in stores)

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

    def add_worker(self, name: str, worker: Worker, *, stop_within: float | None = None) -> None:
        """Run ``worker`` after everything registered before it; stop it before those.

        Args:
            stop_within: seconds its stop may take before the runtime moves on.
        """
        self.lifecycle.add(name, worker, stop_within=stop_within)

    def add_periodic(self, task: PeriodicTask) -> None:
        """Run ``task`` every interval while the service is up."""
        self.add_worker(task.name, PeriodicWorker(task))

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
        await self.lifecycle.start()
        self.started = True
        log.info("service.started", consumers=[c.queue.name for c in self.consumers])

    async def stop(self) -> None:
        log.info("service.stopping")
        await self.lifecycle.stop()
        self.storage.close()
        self.started = False
        log.info("service.stopped")

    async def ready(self) -> dict[str, bool]:
        """What /readyz reports: can we reach the broker and the database now?"""
        broker_ok, database_ok = await asyncio.gather(
            self.broker.ping(timeout=1.0), self.storage.ping()
        )
        return {"broker": bool(broker_ok), "database": database_ok}

    def workers_healthy(self) -> dict[str, bool]:
        """Each running worker that reports its health (e.g. a periodic task), by name."""
        return self.lifecycle.health()


class _BrokerConnection:
    """Connects to the first node that answers (a refusal fails at once) and declares the
    topology; closes the connection last."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def start(self) -> None:
        runtime = self._runtime
        nodes = runtime.nodes or Nodes(broker_urls(runtime.settings.rabbitmq_url))
        await connect_first(
            nodes,
            lambda _url: runtime.broker.connect(),
            deadline_seconds=runtime.settings.broker_connect_timeout_seconds,
        )
        log.info("broker.connected", url=redact(nodes.url))
        await declare_events_exchange(runtime.broker)
        for consumer in runtime.consumers:
            await declare_consumer_queue(runtime.broker, consumer.queue, consumer.channel)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._runtime.broker.stop()


class _Relay:
    """The outbox relay; its stop makes one last pass, so it stops after the consumers."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def start(self) -> None:
        if self._runtime.relay is not None:
            self._runtime.relay.start()

    async def stop(self) -> None:
        if self._runtime.relay is not None:
            await self._runtime.relay.stop()


class _Consumers:
    """The broker's subscribers; stopping lets in-flight messages finish."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def start(self) -> None:
        await self._runtime.broker.start()

    async def stop(self) -> None:
        for consumer in self._runtime.consumers:
            consumer.close()
        for subscriber in self._runtime.broker.subscribers:
            with contextlib.suppress(Exception):
                await subscriber.stop()
