"""What callers (and the dispatcher) may ask of the notify service, in the imperative."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.bus import Command


class CreateSubscription(Command):
    url: str
    event_types: list[str]
    description: str | None = None
    max_in_flight: int = 1


class UpdateSubscription(Command):
    subscription_id: str
    changes: dict[str, Any]


class DeleteSubscription(Command):
    subscription_id: str


class RotateSecret(Command):
    subscription_id: str
    grace_seconds: float | None = None
    """How long the old secret keeps signing; None: the service's setting."""


class DisableSubscription(Command):
    subscription_id: str
    reason: str


class RetryDelivery(Command):
    delivery_id: str


class ReplayEvents(Command):
    subscription_id: str
    since: datetime
    until: datetime | None = None
