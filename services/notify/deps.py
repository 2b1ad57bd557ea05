"""The notify service's parts as route parameters, fetched from its container."""

from __future__ import annotations

from typing import Annotated

from services.notify.broker import NotifyBroker
from services.notify.container import NotifyContainer
from services.notify.deliveries import AttemptLog
from services.notify.livelog import LiveLog, StreamSettings
from services.notify.repository import HealthStore, SubscriptionRepository
from shared.container import container_parts

_part = container_parts(NotifyContainer)

_subscriptions = _part(lambda c: c.subscriptions)
_health = _part(lambda c: c.health)
_attempts = _part(lambda c: c.attempts)
_notify_broker = _part(lambda c: c.notify_broker)
_live = _part(lambda c: c.live)
_stream_settings = _part(lambda c: c.stream_settings)

Subscriptions = Annotated[SubscriptionRepository, _subscriptions]
Health = Annotated[HealthStore, _health]
Attempts = Annotated[AttemptLog, _attempts]
NotifyConnection = Annotated[NotifyBroker, _notify_broker]
Live = Annotated[LiveLog, _live]
Streams = Annotated[StreamSettings, _stream_settings]
