"""What the notify service's bootstrap builds: its runtime, bus, stores, connection and workers."""

from __future__ import annotations

from dataclasses import dataclass

from services.notify.broker import NotifyBroker
from services.notify.deliveries import AttemptLog
from services.notify.livelog import LiveLog, StreamSettings
from services.notify.repository import HealthStore, SubscriptionRepository
from services.notify.workers import SubscriptionWorkers
from shared.container import ServiceContainer


@dataclass(frozen=True, kw_only=True)
class NotifyContainer(ServiceContainer):
    """The notify service's parts.

    Args:
        subscriptions: the webhook subscriptions, the aggregate this service owns.
        attempts: the log of delivery attempts.
        health: each subscription's delivery health.
        live: the event log's recent part, in memory, behind the live feed.
        notify_broker: notify's own AMQP connection (the stream, subscription queues).
        workers: this replica's subscription consumers.
        stream_settings: the live feed's keep-alive and open-stream limit.
    """

    subscriptions: SubscriptionRepository
    attempts: AttemptLog
    health: HealthStore
    live: LiveLog
    notify_broker: NotifyBroker
    workers: SubscriptionWorkers
    stream_settings: StreamSettings
