"""The notify service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.notify.broker import NotifyBroker
from services.notify.container import NotifyContainer
from services.notify.deliveries import AttemptLog
from services.notify.livelog import LiveLog, StreamSettings
from services.notify.repository import HealthStore, SubscriptionRepository
from shared.container import container_dependency

Container = Annotated[NotifyContainer, Depends(container_dependency(NotifyContainer))]


def _subscriptions(container: Container) -> SubscriptionRepository:
    return container.subscriptions


def _health(container: Container) -> HealthStore:
    return container.health


def _attempts(container: Container) -> AttemptLog:
    return container.attempts


def _notify_broker(container: Container) -> NotifyBroker:
    return container.notify_broker


def _live(container: Container) -> LiveLog:
    return container.live


def _stream_settings(container: Container) -> StreamSettings:
    return container.stream_settings


Subscriptions = Annotated[SubscriptionRepository, Depends(_subscriptions)]
Health = Annotated[HealthStore, Depends(_health)]
Attempts = Annotated[AttemptLog, Depends(_attempts)]
NotifyConnection = Annotated[NotifyBroker, Depends(_notify_broker)]
Live = Annotated[LiveLog, Depends(_live)]
Streams = Annotated[StreamSettings, Depends(_stream_settings)]
