"""Idempotent, poison-safe consumption of events from one queue.

An ``EventConsumer`` reads a ``ConsumerQueue``:

* a body that is not a valid CloudEvent (or whose ``data`` breaks its catalogue model) is
  rejected at once, so RabbitMQ dead-letters it into ``<queue>.dlq``;
* an event whose id this consumer already processed is acknowledged and skipped;
* a handler that raises gets the message back (reject, requeue) after a short pause; the
  quorum queue puts it back in its place and counts the delivery, and once its delivery
  limit is reached dead-letters it, after which the consumer goes on with the next message.

Events are handled one at a time in queue order (prefetch 1 on the consumer's own channel),
which is what keeps the notifier's log, and each subject's webhooks, in publishing order.
``reject`` rather than ``nack``: RabbitMQ 4 no longer counts a nack towards the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitMessage
from faststream.rabbit.schemas import Channel
from pydantic import ValidationError

from shared.clock import utcnow
from shared.events.catalogue import EVENT_TYPES
from shared.events.envelope import CloudEvent
from shared.events.patterns import topic_matches
from shared.logging import correlation_scope, get_logger
from shared.messaging.identity import verify_publisher
from shared.messaging.topology import ConsumerQueue
from shared.metrics import EVENTS_CONSUMED
from shared.storage import Database, DuplicateKeyError

log = get_logger(__name__)

EventHandler = Callable[[CloudEvent], Awaitable[None]]
"""Handles one validated event. Must be idempotent in effect: it may run again after a crash."""

PROCESSED_COLLECTION = "processed_events"


class ProcessedEvents:
    """The ids each consumer has processed, so a redelivered event is skipped."""

    def __init__(self, db: Database) -> None:
        self._collection = db[PROCESSED_COLLECTION]

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self._collection.find_one({"_id": f"{consumer}:{event_id}"}) is not None

    async def record(self, consumer: str, event: CloudEvent) -> None:
        # A concurrent replica may have processed it too: handlers are idempotent in effect.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.insert_one(
                {
                    "_id": f"{consumer}:{event.id}",
                    "consumer": consumer,
                    "type": event.type,
                    "processed_at": utcnow(),
                }
            )


def parse_event(body: bytes) -> CloudEvent:
    """The CloudEvent in ``body``; raises ``ValidationError`` for a body that is not one.

    ``data`` of a type in the catalogue must fit that type's model; unknown types pass, so
    producers can add types without breaking consumers that do not handle them.
    """
    event = CloudEvent.model_validate_json(body)
    model = EVENT_TYPES.get(event.type)
    if model is not None:
        model.model_validate(event.data)
    return event


class EventConsumer:
    """Consumes one queue and dispatches each event to the handlers whose pattern matches.

    Args:
        service: the consuming service, for logs and metrics.
        queue: the queue and its bindings.
        db: the service's database; processed ids are kept in ``processed_events``.
        handlers: topic pattern (``agency.*``, ``mou.signed``, ``#``) to handler.
        prefetch: unacknowledged messages in flight; 1 keeps strict queue order.
        retry_pause_seconds: pause before handing a failed message back to the queue.
    """

    def __init__(
        self,
        *,
        service: str,
        queue: ConsumerQueue,
        db: Database,
        handlers: Mapping[str, EventHandler],
        prefetch: int = 1,
        retry_pause_seconds: float = 0.5,
    ) -> None:
        self.service = service
        self.queue = queue
        self._handlers = dict(handlers)
        self._processed = ProcessedEvents(db)
        self.channel = Channel(prefetch_count=prefetch)
        """The channel it consumes on: its queue must be declared on it too."""
        self._retry_pause = retry_pause_seconds

    def subscribe(self, broker: RabbitBroker) -> None:
        """Attach to ``broker``; ``declare_consumer_queue`` declares the queue on ``channel``."""
        subscriber = broker.subscriber(
            self.queue.queue(),
            channel=self.channel,
            ack_policy=AckPolicy.MANUAL,
            title=self.queue.name,
            description=f"Consumes {', '.join(self.queue.bindings)} from mpp.events.",
        )
        subscriber(self.handle_message)

    async def handle_message(self, body: Any, message: RabbitMessage) -> None:
        """Validate, deduplicate and dispatch one message, then settle it."""
        try:
            event = parse_event(message.body)
            verify_publisher(event, message)  # believed only from its owner (identity.py)
        except ValidationError as error:
            await self._reject(message, error)
            return

        with correlation_scope(event.correlationid):
            bound = log.bind(queue=self.queue.name, event_id=event.id, event_type=event.type)
            if await self._processed.seen(self.queue.name, event.id):
                bound.info("event.duplicate_skipped")
                self._count(event.type, "duplicate")
                await message.ack()
                return
            handlers = [h for p, h in self._handlers.items() if topic_matches(p, event.type)]
            try:
                for handler in handlers:
                    await handler(event)
            except Exception:
                attempt = _delivery_count(message) + 1
                bound.exception(
                    "event.handler_failed",
                    attempt=attempt,
                    delivery_limit=self.queue.delivery_limit,
                )
                self._count(event.type, "failed")
                await asyncio.sleep(min(self._retry_pause * attempt, 5.0))
                await message.reject(requeue=True)
                return
            await self._processed.record(self.queue.name, event)
            outcome = "processed" if handlers else "ignored"
            bound.info(f"event.{outcome}")
            self._count(event.type, outcome)
            await message.ack()

    async def _reject(self, message: RabbitMessage, error: ValidationError) -> None:
        log.error(
            "event.rejected_to_dlq",
            queue=self.queue.name,
            dead_letter_queue=self.queue.dead_letter_name,
            message_id=message.message_id,
            errors=error.errors(include_url=False, include_input=False)[:5],
        )
        self._count("invalid", "rejected")
        await message.reject(requeue=False)

    def _count(self, event_type: str, outcome: str) -> None:
        EVENTS_CONSUMED.labels(
            service=self.service, queue=self.queue.name, type=event_type, outcome=outcome
        ).inc()


def _delivery_count(message: RabbitMessage) -> int:
    raw = (message.headers or {}).get("x-delivery-count", 0)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
