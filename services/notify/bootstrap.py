"""Wires the notify service: settings -> runtime -> store -> broker plumbing -> bus -> app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI

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
from services.notify.deliveries import AttemptLog
from services.notify.delivery import Deliverer
from services.notify.feed import StreamSettings
from services.notify.feed import router as feed_router
from services.notify.livelog import LiveLog
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
from services.notify.webhook_docs import describe_webhooks
from services.notify.workers import SubscriptionWorkers
from shared.bus import CommandBus
from shared.egress import EgressPolicy
from shared.errors import NotFound
from shared.http.app import create_app
from shared.runtime import PeriodicTask, ServiceRuntime
from shared.secrets import SecretBox
from shared.settings import ServiceSettings
from shared.storage import Storage

ATTEMPT_SWEEP_SECONDS = 3600.0
STOP_STEP_SECONDS = 4.0


def build_app(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    *,
    egress: EgressPolicy | None = None,
) -> FastAPI:
    """The notify service's app, its broker plumbing, storage and workers not yet started.

    Args:
        settings: a plain ``ServiceSettings`` gets notify's own settings from the environment.
        storage: an already connected store (tests restart the service on the same one).
        egress: where webhooks may go; by default what ``WEBHOOK_ALLOWED_NETWORKS`` allows
            (tests give a policy with its own resolver).
    """
    config = NotifySettings.of(settings)
    egress = egress or EgressPolicy.from_settings(config)
    box = SecretBox.from_keys(
        config.mpp_secret_keys.get_secret_value() if config.mpp_secret_keys else None
    )
    runtime = ServiceRuntime.create(SERVICE, config, storage)
    db = runtime.storage.db
    subscriptions = SubscriptionRepository(db, box)
    attempts = AttemptLog(
        db, timedelta(days=config.attempt_retention_days), ttl_index=runtime.storage.durable
    )
    health = HealthStore(db)
    runtime.setup.extend(
        [subscriptions.ensure_indexes, attempts.ensure_indexes, subscriptions.secure_stored_secrets]
    )
    broker = _notify_broker(config)
    live = LiveLog(broker, config.live_feed_ring_size, config.event_log_dedupe_window)
    client = build_webhook_client(config, egress=egress)
    bus = CommandBus({})  # filled below: deliveries disable through it

    async def disable(subscription_id: str, reason: str) -> None:
        with contextlib.suppress(NotFound):  # deleted meanwhile: nothing left to disable
            await bus.handle(DisableSubscription(subscription_id=subscription_id, reason=reason))

    deliverer = _deliverer(config, broker, client, attempts, health, disable)
    workers = SubscriptionWorkers(
        broker=broker,
        subscriptions=subscriptions,
        deliverer=deliverer,
        refresh_seconds=config.subscription_refresh_seconds,
        grace_seconds=config.shutdown_grace_seconds,
    )
    bus = _command_bus(config, subscriptions, attempts, health, broker, live, workers, egress)
    _add_periodic(runtime, config, broker, workers, attempts)
    app = _create_app(runtime)
    _run_beside(app, broker, live, workers, client, subscriptions)
    for name, value in {
        "bus": bus,
        "live": live,
        "subscriptions": subscriptions,
        "attempts": attempts,
        "health": health,
        "notify_broker": broker,
        "workers": workers,
        "stream_settings": StreamSettings(
            ping_seconds=config.sse_ping_seconds, max_connections=config.sse_max_connections
        ),
    }.items():
        setattr(app.state, name, value)
    return app


def _create_app(runtime: ServiceRuntime) -> FastAPI:
    app = create_app(
        runtime,
        title="MPP notify service",
        description=(
            "The event log of the MPP platform (a RabbitMQ stream), its live feed (Server-Sent"
            " Events) and webhook subscriptions, delivered per Standard Webhooks 1.0."
        ),
        routers=[feed_router, subscriptions_router],
    )
    describe_webhooks(app)
    return app


def _deliverer(
    config: NotifySettings,
    broker: NotifyBroker,
    client: httpx.AsyncClient,
    attempts: AttemptLog,
    health: HealthStore,
    disable: Callable[[str, str], Awaitable[None]],
) -> Deliverer:
    return Deliverer(
        broker=broker,
        client=client,
        attempts=attempts,
        health=health,
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
    )


def _command_bus(
    config: NotifySettings,
    subscriptions: SubscriptionRepository,
    attempts: AttemptLog,
    health: HealthStore,
    broker: NotifyBroker,
    live: LiveLog,
    workers: SubscriptionWorkers,
    egress: EgressPolicy,
) -> CommandBus:
    announce = workers.announce
    return CommandBus(
        {
            CreateSubscription: partial(
                handlers.create_subscription,
                subscriptions=subscriptions,
                broker=broker,
                announce=announce,
                egress=egress,
            ),
            UpdateSubscription: partial(
                handlers.update_subscription,
                subscriptions=subscriptions,
                health=health,
                broker=broker,
                announce=announce,
                egress=egress,
            ),
            DeleteSubscription: partial(
                handlers.delete_subscription,
                subscriptions=subscriptions,
                attempts=attempts,
                health=health,
                broker=broker,
                announce=announce,
            ),
            RotateSecret: partial(
                handlers.rotate_secret,
                subscriptions=subscriptions,
                default_grace_seconds=config.webhook_secret_rotation_grace_seconds,
                announce=announce,
            ),
            DisableSubscription: partial(
                handlers.disable_subscription,
                subscriptions=subscriptions,
                broker=broker,
                announce=announce,
            ),
            RetryDelivery: partial(
                handlers.retry_delivery,
                attempts=attempts,
                subscriptions=subscriptions,
                live=live,
                broker=broker,
            ),
            ReplayEvents: partial(
                handlers.replay_events, subscriptions=subscriptions, live=live, broker=broker
            ),
        }
    )


def _add_periodic(
    runtime: ServiceRuntime,
    config: NotifySettings,
    broker: NotifyBroker,
    workers: SubscriptionWorkers,
    attempts: AttemptLog,
) -> None:
    async def refresh_gauges() -> None:
        if broker.tiers:
            tiers = [await broker.depth(f"{DELAY_PREFIX}{t}") for t in broker.tiers]
            held = workers.held_retries  # back from a tier, taken, not yet settled
            RETRY_BACKLOG.labels(service=SERVICE).set(sum(tiers) + held)
        cached = list(workers.cache.values())
        ready = [await broker.depth(subscription_queue_name(s.id)) for s in cached]
        PENDING_DELIVERIES.labels(service=SERVICE).set(sum(ready))
        disabled = sum(1 for s in cached if s.status == "disabled")
        DISABLED_SUBSCRIPTIONS.labels(service=SERVICE).set(disabled)

    # Not a runtime task: it uses notify's own connection, so it stops before that closes.
    workers.gauges = PeriodicTask("notify-gauges", config.notify_gauges_seconds, refresh_gauges)
    runtime.periodic.append(
        PeriodicTask("notify-attempt-retention", ATTEMPT_SWEEP_SECONDS, attempts.sweep)
    )


async def _repair_topology(broker: NotifyBroker, subscriptions: SubscriptionRepository) -> None:
    """Every stored subscription has its queue, bound unless disabled (heals a crash)."""
    for subscription in await subscriptions.all():
        await broker.declare_subscription(subscription.id)
        if subscription.status != "disabled":
            await broker.bind(subscription.id, subscription.event_types)


async def _bounded(step: Awaitable[Any]) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(STOP_STEP_SECONDS):
            await step


def _run_beside(
    app: FastAPI,
    broker: NotifyBroker,
    live: LiveLog,
    workers: SubscriptionWorkers,
    client: httpx.AsyncClient,
    subscriptions: SubscriptionRepository,
) -> None:
    """Start notify's broker plumbing once the runtime is up; stop it first on the way down."""
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as state:
            await broker.connect()
            try:
                await _repair_topology(broker, subscriptions)
                await live.start()
                await workers.start()
                yield state
            finally:
                # Bounded: with the broker gone, unacked messages return to it anyway.
                await _bounded(workers.stop())
                await asyncio.gather(_bounded(live.stop()), _bounded(client.aclose()))
                await _bounded(broker.close())

    app.router.lifespan_context = lifespan
