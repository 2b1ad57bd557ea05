"""Wires the notify service: settings, store, broker -> stores, connection, workers -> container
-> app."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from faststream.rabbit import RabbitBroker

from services.notify import SERVICE, handlers
from services.notify.api import router as subscriptions_router
from services.notify.broker import NotifyBroker
from services.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    DisableSubscription,
    ReplayEvents,
    RetryDelivery,
    RotateSecret,
    UpdateSubscription,
)
from services.notify.container import NotifyContainer
from services.notify.deliveries import AttemptLog
from services.notify.delivery import Deliverer
from services.notify.feed import router as feed_router
from services.notify.livelog import LiveLog, StreamSettings
from services.notify.metrics import (
    DISABLED_SUBSCRIPTIONS,
    PENDING_DELIVERIES,
    RETRY_BACKLOG,
)
from services.notify.repository import HealthStore, SubscriptionRepository
from services.notify.retry import RetryPolicy
from services.notify.settings import NotifySettings
from services.notify.topology import DELAY_PREFIX, log_stream_arguments, subscription_queue_name
from services.notify.webhook_client import build_webhook_client
from services.notify.webhook_docs import webhooks
from services.notify.workers import SubscriptionWorkers
from shared.bus import CommandBus
from shared.egress import EgressPolicy
from shared.errors import NotFound
from shared.http.app import app_builder
from shared.runtime import PeriodicTask, ServiceRuntime
from shared.secrets import SecretBox
from shared.settings import ServiceSettings
from shared.storage import Storage

ATTEMPT_SWEEP_SECONDS = 3600.0
STOP_STEP_SECONDS = 4.0


def bootstrap(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
    *,
    egress: EgressPolicy | None = None,
    connection: NotifyBroker | None = None,
) -> NotifyContainer:
    """The notify service's parts: its connection and workers registered, nothing started.

    Args:
        settings: a plain ``ServiceSettings`` gets notify's own settings from the environment.
        storage: an already connected store (tests restart the service on the same one).
        broker: by default one failing over between the nodes of ``RABBITMQ_URL``.
        egress: where webhooks may go; by default what ``WEBHOOK_ALLOWED_NETWORKS`` allows
            (tests give a policy with its own resolver).
        connection: notify's own connection (the stream, subscription queues); by default
            one to ``RABBITMQ_URL`` (tests with no broker pass a stand-in).
    """
    config = NotifySettings.of(settings)
    egress = egress or EgressPolicy.from_settings(config)
    runtime = ServiceRuntime.create(SERVICE, config, storage, broker)
    stores = _stores(runtime, config)
    connection = connection or _notify_broker(config)
    live = LiveLog(connection, config.live_feed_ring_size, config.event_log_dedupe_window)
    client = build_webhook_client(config, egress=egress)
    workers: SubscriptionWorkers  # built below, once the deliverer can disable through the bus

    async def announce(subscription_id: str) -> None:
        await workers.announce(subscription_id)

    bus = _command_bus(config, stores, connection, live, announce, egress)
    workers = SubscriptionWorkers(
        broker=connection,
        subscriptions=stores.subscriptions,
        deliverer=_deliverer(config, connection, client, stores, partial(_disable, bus)),
        refresh_seconds=config.subscription_refresh_seconds,
        grace_seconds=config.shutdown_grace_seconds,
    )
    _add_workers(runtime, config, connection, stores, live, workers, client)
    return NotifyContainer(
        runtime=runtime,
        bus=bus,
        subscriptions=stores.subscriptions,
        attempts=stores.attempts,
        health=stores.health,
        live=live,
        notify_broker=connection,
        workers=workers,
        stream_settings=StreamSettings(
            ping_seconds=config.sse_ping_seconds, max_connections=config.sse_max_connections
        ),
    )


build_app = app_builder(
    bootstrap,
    title="MPP notify service",
    description=(
        "The event log of the MPP platform (a RabbitMQ stream), its live feed (Server-Sent"
        " Events) and webhook subscriptions, delivered per Standard Webhooks 1.0."
    ),
    routers=[feed_router, subscriptions_router],
    webhooks=[webhooks],
)


@dataclass(frozen=True)
class _Stores:
    subscriptions: SubscriptionRepository
    attempts: AttemptLog
    health: HealthStore


def _stores(runtime: ServiceRuntime, config: NotifySettings) -> _Stores:
    box = SecretBox.from_keys(
        config.mpp_secret_keys.get_secret_value() if config.mpp_secret_keys else None
    )
    db = runtime.storage.db
    subscriptions = SubscriptionRepository(db, box)
    attempts = AttemptLog(
        db, timedelta(days=config.attempt_retention_days), ttl_index=runtime.storage.durable
    )
    runtime.set_up_indexes(subscriptions, attempts)
    runtime.setup.append(subscriptions.secure_stored_secrets)
    return _Stores(subscriptions, attempts, HealthStore(db))


async def _disable(bus: CommandBus, subscription_id: str, reason: str) -> None:
    """What a delivery does when a subscription keeps failing: disable it through the bus."""
    with contextlib.suppress(NotFound):  # deleted meanwhile: nothing left to disable
        await bus.handle(DisableSubscription(subscription_id=subscription_id, reason=reason))


def _deliverer(
    config: NotifySettings,
    connection: NotifyBroker,
    client: httpx.AsyncClient,
    stores: _Stores,
    disable: Callable[[str, str], Awaitable[None]],
) -> Deliverer:
    return Deliverer(
        broker=connection,
        client=client,
        attempts=stores.attempts,
        health=stores.health,
        policy=RetryPolicy(
            config.retry_schedule,
            jitter=0.0,
            retry_after_max=config.webhook_retry_after_max_seconds,
        ),
        disable=disable,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        failure_threshold=config.webhook_failure_threshold,
        excerpt_chars=config.webhook_response_excerpt_chars,
    )


def _notify_broker(config: NotifySettings) -> NotifyBroker:
    return NotifyBroker(
        config.rabbitmq_url,
        stream_arguments=log_stream_arguments(
            config.event_log_max_age, config.event_log_max_bytes, config.event_log_segment_bytes
        ),
        delivery_limit=config.webhook_delivery_limit,
        delays=config.retry_schedule,
        reconnect_seconds=config.broker_reconnect_seconds,
    )


def _command_bus(
    config: NotifySettings,
    stores: _Stores,
    broker: NotifyBroker,
    live: LiveLog,
    announce: Callable[[str], Awaitable[None]],
    egress: EgressPolicy,
) -> CommandBus:
    deps = handlers.NotifyDeps(
        subscriptions=stores.subscriptions,
        attempts=stores.attempts,
        health=stores.health,
        broker=broker,
        live=live,
        announce=announce,
        egress=egress,
        default_grace_seconds=config.webhook_secret_rotation_grace_seconds,
    )
    handled_by: dict[type[Any], Callable[..., Awaitable[Any]]] = {
        CreateSubscription: handlers.create_subscription,
        UpdateSubscription: handlers.update_subscription,
        DeleteSubscription: handlers.delete_subscription,
        RotateSecret: handlers.rotate_secret,
        DisableSubscription: handlers.disable_subscription,
        RetryDelivery: handlers.retry_delivery,
        ReplayEvents: handlers.replay_events,
    }
    return CommandBus(
        {command: partial(handler, deps=deps) for command, handler in handled_by.items()}
    )


def _add_workers(
    runtime: ServiceRuntime,
    config: NotifySettings,
    connection: NotifyBroker,
    stores: _Stores,
    live: LiveLog,
    workers: SubscriptionWorkers,
    client: httpx.AsyncClient,
) -> None:
    """Notify's workers after the runtime's own, in start order; each stop is bounded (with
    the broker gone, unacked messages return to it anyway)."""
    runtime.add_periodic(
        PeriodicTask("notify-attempt-retention", ATTEMPT_SWEEP_SECONDS, stores.attempts.sweep)
    )
    bounded = STOP_STEP_SECONDS
    runtime.add_worker(
        "notify-connection", _Connection(connection, stores.subscriptions), stop_within=bounded
    )
    runtime.add_worker("webhook-client", _ClosedAtStop(client.aclose), stop_within=bounded)
    runtime.add_worker("live-feed", live, stop_within=bounded)
    # after the connection it reads queue depths on, so it stops before that closes
    gauges = partial(_refresh_gauges, connection, workers)
    runtime.add_periodic(PeriodicTask("notify-gauges", config.notify_gauges_seconds, gauges))
    runtime.add_worker("subscription-workers", workers, stop_within=bounded)


async def _refresh_gauges(connection: NotifyBroker, workers: SubscriptionWorkers) -> None:
    if connection.tiers:
        tiers = [await connection.depth(f"{DELAY_PREFIX}{t}") for t in connection.tiers]
        held = workers.held_retries  # back from a tier, taken, not yet settled
        RETRY_BACKLOG.labels(service=SERVICE).set(sum(tiers) + held)
    cached = list(workers.cache.values())
    ready = [await connection.depth(subscription_queue_name(s.id)) for s in cached]
    PENDING_DELIVERIES.labels(service=SERVICE).set(sum(ready))
    disabled = sum(1 for s in cached if s.status == "disabled")
    DISABLED_SUBSCRIPTIONS.labels(service=SERVICE).set(disabled)


class _Connection:
    """Notify's own connection: opened and its topology repaired first, closed last."""

    def __init__(self, connection: NotifyBroker, subscriptions: SubscriptionRepository) -> None:
        self._connection = connection
        self._subscriptions = subscriptions

    async def start(self) -> None:
        await self._connection.connect()
        # every stored subscription has its queue, bound unless disabled (heals a crash)
        for subscription in await self._subscriptions.all():
            await self._connection.declare_subscription(subscription.id)
            if subscription.status != "disabled":
                await self._connection.bind(subscription.id, subscription.event_types)

    async def stop(self) -> None:
        await self._connection.close()


class _ClosedAtStop:
    """Something with nothing to start that must be closed on the way down."""

    def __init__(self, close: Callable[[], Awaitable[None]]) -> None:
        self._close = close

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self._close()
