"""What callers (and the dispatcher) may ask of the notify service, in the imperative.

Each command names what its handler returns (``Command[Subscription]``), and the results
that are not an aggregate are typed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, TypeVar

from pydantic import BaseModel

from services.notify.deliveries import Delivery
from services.notify.domain import Subscription, SubscriptionChanges
from shared.bus import Command
from shared.clock import UtcDateTime

R = TypeVar("R")


class RotatedSecret(NamedTuple):
    """The subscription after a rotation, and its new secret (shown this once)."""

    subscription: Subscription
    secret: str


class ReplayStarted(BaseModel):
    """What a replay queued."""

    replay_id: str
    subscription_id: str
    since: UtcDateTime
    until: UtcDateTime | None = None
    deliveries: int


class CreateSubscription(Command[Subscription]):
    url: str
    event_types: list[str]
    description: str | None = None
    max_in_flight: int = 1


class OnSubscription(Command[R]):
    """A command on one existing subscription, which it names."""

    subscription_id: str


class UpdateSubscription(OnSubscription[Subscription]):
    changes: SubscriptionChanges


class DeleteSubscription(OnSubscription[None]):
    """Delete it with its queue, its delivery log and its health record."""


class RotateSecret(OnSubscription[RotatedSecret]):
    grace_seconds: float | None = None
    """How long the old secret keeps signing; None: the service's setting."""


class DisableSubscription(OnSubscription[Subscription]):
    reason: str


class RetryDelivery(Command[Delivery]):
    delivery_id: str


class ReplayEvents(OnSubscription[ReplayStarted]):
    since: datetime
    until: datetime | None = None
