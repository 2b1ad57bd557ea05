"""Wires the notify service: settings -> runtime -> stores -> consumer, dispatcher -> bus -> app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI

from services.notify import SERVICE, handlers
from services.notify.api import router as subscriptions_router
from services.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    DisableSubscription,
    ReplayEvents,
    RetryDelivery,
    RotateSecret,
    UpdateSubscription,
)
from services.notify.consumers import EventIntake, add_consumer
from services.notify.deliveries import DeliveryStore
from services.notify.dispatcher import Dispatcher
from services.notify.eventlog import EventLog
from services.notify.feed import StreamSettings
from services.notify.feed import router as feed_router
from services.notify.metrics import (
    DISABLED_SUBSCRIPTIONS,
    PENDING_DELIVERIES,
    RETRY_BACKLOG,
)
from services.notify.repository import HealthStore, SubscriptionRepository
from services.notify.retry import RetryPolicy
from services.notify.settings import notify_settings_from
from services.notify.webhook_client import build_webhook_client
from services.notify.webhook_docs import describe_webhooks
from shared.bus import CommandBus
from shared.egress import EgressPolicy
from shared.errors import NotFound
from shared.http.app import create_app
from shared.runtime import PeriodicTask, ServiceRuntime
from shared.secrets import SecretBox
from shared.settings import ServiceSettings
from shared.storage import Storage


def build_app(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    *,
    egress: EgressPolicy | None = None,
) -> FastAPI:
    """The notify service's app, its broker, storage and dispatcher not yet started.

    Args:
        settings: a plain ``ServiceSettings`` gets notify's own settings from the environment.
        storage: an already connected store (tests restart the service on the same one).
        egress: where webhooks may go; by default what ``WEBHOOK_ALLOWED_NETWORKS`` allows
            (tests give a policy with its own resolver).
    """
    config = notify_settings_from(settings)
    egress = egress or EgressPolicy.from_settings(config)
    box = SecretBox.from_keys(
        config.mpp_secret_keys.get_secret_value() if config.mpp_secret_keys else None
    )
    runtime = ServiceRuntime.create(SERVICE, config, storage)
    db = runtime.storage.db
    events = EventLog(db, gap_grace_seconds=config.event_log_gap_grace_seconds)
    subscriptions = SubscriptionRepository(db, box)
    deliveries = DeliveryStore(db)
    health = HealthStore(db)
    for step in (
        events.ensure_indexes,
        subscriptions.ensure_indexes,
        deliveries.ensure_indexes,
        subscriptions.secure_stored_secrets,
    ):
        runtime.setup.append(step)

    policy = RetryPolicy(
        config.retry_schedule,
        jitter=config.webhook_jitter_ratio,
        retry_after_max=config.webhook_retry_after_max_seconds,
    )
    bus = CommandBus({})  # filled below: the dispatcher disables through it

    async def disable(subscription_id: str, reason: str) -> None:
        with contextlib.suppress(NotFound):  # deleted meanwhile: nothing left to disable
            await bus.handle(DisableSubscription(subscription_id=subscription_id, reason=reason))

    dispatcher = Dispatcher(
        subscriptions=subscriptions,
        deliveries=deliveries,
        events=events,
        health=health,
        policy=policy,
        disable=disable,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        lease_seconds=config.webhook_lease_seconds,
        poll_seconds=config.webhook_poll_seconds,
        failure_threshold=config.webhook_failure_threshold,
        excerpt_chars=config.webhook_response_excerpt_chars,
        client_factory=partial(build_webhook_client, config, egress=egress),
    )
    wake = dispatcher.wake
    bus = CommandBus(
        {
            CreateSubscription: partial(
                handlers.create_subscription, subscriptions=subscriptions, egress=egress
            ),
            UpdateSubscription: partial(
                handlers.update_subscription,
                subscriptions=subscriptions,
                health=health,
                wake=wake,
                egress=egress,
            ),
            DeleteSubscription: partial(
                handlers.delete_subscription,
                subscriptions=subscriptions,
                deliveries=deliveries,
                health=health,
            ),
            RotateSecret: partial(
                handlers.rotate_secret,
                subscriptions=subscriptions,
                default_grace_seconds=config.webhook_secret_rotation_grace_seconds,
            ),
            DisableSubscription: partial(
                handlers.disable_subscription, subscriptions=subscriptions
            ),
            RetryDelivery: partial(
                handlers.retry_delivery,
                deliveries=deliveries,
                subscriptions=subscriptions,
                wake=wake,
            ),
            ReplayEvents: partial(
                handlers.replay_events,
                subscriptions=subscriptions,
                events=events,
                deliveries=deliveries,
                policy=policy,
                wake=wake,
            ),
        }
    )

    add_consumer(
        runtime,
        EventIntake(
            events=events,
            subscriptions=subscriptions,
            deliveries=deliveries,
            policy=policy,
            wake=wake,
        ),
    )

    async def refresh_gauges() -> None:
        RETRY_BACKLOG.labels(service=SERVICE).set(await deliveries.count("failed"))
        PENDING_DELIVERIES.labels(service=SERVICE).set(await deliveries.count("pending"))
        DISABLED_SUBSCRIPTIONS.labels(service=SERVICE).set(await subscriptions.count_disabled())

    runtime.periodic.append(
        PeriodicTask("notify-gauges", config.notify_gauges_seconds, refresh_gauges)
    )

    app = create_app(
        runtime,
        title="MPP notify service",
        description=(
            "The event log of the MPP platform, its live feed (Server-Sent Events) and"
            " webhook subscriptions, delivered per Standard Webhooks 1.0."
        ),
        routers=[feed_router, subscriptions_router],
    )
    describe_webhooks(app)
    _run_beside(app, dispatcher, config.shutdown_grace_seconds)
    app.state.bus = bus
    app.state.events = events
    app.state.subscriptions = subscriptions
    app.state.deliveries = deliveries
    app.state.health = health
    app.state.dispatcher = dispatcher
    app.state.stream_settings = StreamSettings(
        ping_seconds=config.sse_ping_seconds, poll_seconds=config.sse_poll_seconds
    )
    return app


def _run_beside(app: FastAPI, dispatcher: Dispatcher, grace_seconds: float) -> None:
    """Start the dispatcher once the runtime is up; stop it first on the way down."""
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with runtime_lifespan(app) as state:
            dispatcher.start()
            try:
                yield state
            finally:
                await dispatcher.stop(grace_seconds)

    app.router.lifespan_context = lifespan
