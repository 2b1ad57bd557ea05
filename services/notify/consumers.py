"""What notify consumes: every event on ``mpp.events`` (queue ``notify.events``, bound to ``#``).

Each event is logged once and fanned out into stored deliveries; sending them is the
dispatcher's job, so consumption never waits on a receiver.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from services.notify import SERVICE
from services.notify.deliveries import DeliveryStore
from services.notify.eventlog import EventLog
from services.notify.metrics import EVENTS_LOGGED
from services.notify.repository import SubscriptionRepository
from services.notify.retry import RetryPolicy
from shared.events.envelope import CloudEvent
from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import ConsumerQueue
from shared.runtime import ServiceRuntime

log = get_logger(__name__)

QUEUE = "notify.events"


class EventIntake:
    """Logs an event and creates its deliveries (idempotent: safe to run again)."""

    def __init__(
        self,
        *,
        events: EventLog,
        subscriptions: SubscriptionRepository,
        deliveries: DeliveryStore,
        policy: RetryPolicy,
        wake: Callable[[], None],
    ) -> None:
        self._events = events
        self._subscriptions = subscriptions
        self._deliveries = deliveries
        self._policy = policy
        self._wake = wake

    async def handle(self, event: CloudEvent) -> None:
        logged, new = await self._events.append(event)
        if new:
            EVENTS_LOGGED.labels(service=SERVICE, type=event.type).inc()
        # Also for an event logged before: a crash may have come between log and fan-out.
        receivers = await self._subscriptions.receiving(logged.type, logged.logged_at)
        first_attempt_at = logged.logged_at + timedelta(seconds=self._policy.first_delay())
        created = await self._deliveries.create(
            [s.id for s in receivers], logged, first_attempt_at=first_attempt_at
        )
        log.info(
            "event.logged" if new else "event.already_logged",
            position=logged.position,
            deliveries=created,
        )
        if created:
            self._wake()


def add_consumer(runtime: ServiceRuntime, intake: EventIntake) -> None:
    """Register the consumer of ``notify.events`` with ``runtime``."""
    runtime.add_consumer(
        EventConsumer(
            service=SERVICE,
            queue=ConsumerQueue(
                QUEUE, bindings=("#",), delivery_limit=runtime.settings.consumer_delivery_limit
            ),
            db=runtime.storage.db,
            handlers={"#": intake.handle},
        )
    )
