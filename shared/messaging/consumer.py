"""Idempotent, poison-safe, strictly ordered consumption of events from one queue.

An ``EventConsumer`` reads a ``ConsumerQueue`` and settles every message it is given:

* anything wrong with the message itself (not decodable, not a CloudEvent, ``data`` that
  breaks its catalogue model, values out of range) is rejected at once, so RabbitMQ
  dead-letters it into ``<queue>.dlq``; it is logged with the reason and counted in
  ``mpp_events_rejected_total{reason}``;
* an event whose id this consumer already processed is acknowledged and skipped;
* anything wrong in our own processing (a handler, or the store while deduplicating or
  recording) is retried in place after a growing pause, the message still held, so nothing
  behind it can overtake it; attempts count from the broker's ``x-delivery-count`` (earlier
  deliveries a crash or restart handed back) and once ``delivery_limit`` retries have failed
  the message is dead-lettered and the consumer goes on with the next one.

Messages are handled one at a time, in the order they were delivered (an ``asyncio.Lock``
per consumer, on top of prefetch 1). Order must not rest on prefetch alone: RabbitMQ 3.10
grants a consumer extra credit once a requeued message has been dead-lettered
(rabbitmq-server PR #5609), after which several messages arrive at once; and a message
handed back to the broker could be redelivered behind one that was already on its way. So a
failing message is never handed back while we run: the consumer keeps it until it succeeds
or is dead-lettered, on every broker version alike. It is handed back (reject, requeue) only
when the service stops mid-retry; the broker then counts that delivery towards the limit.
``reject`` rather than ``nack``: RabbitMQ 4 no longer counts a nack towards the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitMessage
from faststream.rabbit.schemas import Channel
from pydantic import ValidationError

from shared.background import wait_for_signal
from shared.clock import utcnow
from shared.events.catalogue import EVENT_TYPES
from shared.events.envelope import CloudEvent
from shared.events.patterns import topic_matches
from shared.logging import correlation_scope, get_logger
from shared.messaging.identity import verify_publisher
from shared.messaging.topology import ConsumerQueue
from shared.metrics import CONSUMER_OLDEST_UNACKED, EVENTS_CONSUMED, EVENTS_REJECTED
from shared.storage import Database, DuplicateKeyError
from shared.tracing import label_consumer_span

log = get_logger(__name__)

EventHandler = Callable[[CloudEvent], Awaitable[None]]
"""Handles one validated event. Must be idempotent in effect: it may run again after a crash."""


@dataclass(frozen=True)
class Consumption:
    """One queue a service consumes: its name, its bindings, and the handler of each type.

    The one shape of consumer registration: a service's ``consumers`` module lists these,
    and its bootstrap hands them to ``ServiceRuntime.consume``, which adds the service name,
    database and delivery limit every ``EventConsumer`` needs.

    Args:
        queue: ``<service>.<purpose>``, named in ``shared.messaging.topology``.
        bindings: topic patterns on ``mpp.events``.
        handlers: topic pattern to handler; every matching handler runs, in this order.
    """

    queue: str
    bindings: tuple[str, ...]
    handlers: Mapping[str, EventHandler]


PROCESSED_COLLECTION = "processed_events"
MAX_RETRY_PAUSE_SECONDS = 5.0


class MessageRejected(ValueError):
    """The message itself is unusable: it goes to the dead-letter queue, never retried.

    Args:
        reason: a short label for logs and the ``reason`` label of ``mpp_events_rejected_total``
            (``undecodable``, ``invalid_envelope``, ``invalid_data``, ...).
        detail: what exactly is wrong, for the log line.
    """

    def __init__(self, reason: str, detail: Any = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


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
    """The CloudEvent in ``body``; raises ``MessageRejected`` for a body that is not one.

    ``data`` of a type in the catalogue must fit that type's model; unknown types pass, so
    producers can add types without breaking consumers that do not handle them. Whatever
    the body holds, the only exception this raises is ``MessageRejected``.
    """
    try:
        event = CloudEvent.model_validate_json(body)
    except ValidationError as error:
        undecodable = any(e["type"] == "json_invalid" for e in error.errors())
        raise MessageRejected(
            "undecodable" if undecodable else "invalid_envelope", _summary(error)
        ) from error
    except Exception as error:  # e.g. RecursionError on absurd nesting: still the message's fault
        raise MessageRejected("invalid_envelope", repr(error)) from error
    model = EVENT_TYPES.get(event.type)
    if model is not None:
        try:
            model.model_validate(event.data)
        except ValidationError as error:
            raise MessageRejected("invalid_data", _summary(error)) from error
        except Exception as error:
            raise MessageRejected("invalid_data", repr(error)) from error
    return event


def _summary(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ".".join(str(part) for part in e["loc"]), "msg": e["msg"]}
        for e in error.errors(include_url=False, include_input=False)[:5]
    ]


async def _raw_body(message: RabbitMessage) -> bytes:
    """FastStream's decoder would parse JSON before we see it, and raise outside our reach."""
    return bytes(message.body)


class EventConsumer:
    """Consumes one queue and dispatches each event to the handlers whose pattern matches.

    Args:
        service: the consuming service, for logs and metrics.
        queue: the queue and its bindings.
        db: the service's database; processed ids are kept in ``processed_events``.
        handlers: topic pattern (``agency.*``, ``mou.signed``, ``#``) to handler.
        prefetch: unacknowledged messages in flight; 1 keeps the broker from sending more
            than the consumer can use (handling is serialised in-process regardless).
        retry_pause_seconds: the pause before retry ``n`` is ``n`` times this, at most 5 s.
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
        self._turn = asyncio.Lock()
        self._closing = asyncio.Event()
        self._in_flight: dict[int, float] = {}
        self._arrivals = itertools.count()
        CONSUMER_OLDEST_UNACKED.labels(service=service, queue=queue.name).set_function(
            self.oldest_unacked_seconds
        )

    def subscribe(self, broker: RabbitBroker) -> None:
        """Attach to ``broker``; ``declare_consumer_queue`` declares the queue on ``channel``."""
        self._closing.clear()
        subscriber = broker.subscriber(
            self.queue.queue(),
            channel=self.channel,
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body,
            title=self.queue.name,
            description=f"Consumes {', '.join(self.queue.bindings)} from mpp.events.",
        )
        subscriber(self.handle_message)

    def close(self) -> None:
        """Stop retrying: a message still failing is handed back to the broker at once."""
        self._closing.set()

    def oldest_unacked_seconds(self) -> float:
        """How long the oldest message delivered to this consumer has waited to be settled."""
        if not self._in_flight:
            return 0.0
        return time.monotonic() - min(self._in_flight.values())

    async def handle_message(self, message: RabbitMessage) -> None:
        """Settle one message, after every message delivered before it was settled."""
        label_consumer_span(self.service, self.queue.name)
        arrival = next(self._arrivals)
        self._in_flight[arrival] = time.monotonic()
        try:
            async with self._turn:
                await self._settle(message)
        except Exception:  # a bug of ours: log it, and let the broker try again
            log.exception("event.consumer_failed", queue=self.queue.name)
        finally:
            del self._in_flight[arrival]
            if message.committed is None:
                with contextlib.suppress(Exception):
                    await message.reject(requeue=True)

    def _validate(self, message: RabbitMessage) -> CloudEvent:
        """Everything that is about the message itself; raises ``MessageRejected``."""
        event = parse_event(message.body)
        # believed only from its owner's broker identity (shared/messaging/identity.py)
        verify_publisher(event, message, refuse=MessageRejected)
        return event

    async def _settle(self, message: RabbitMessage) -> None:
        try:
            event = self._validate(message)
        except MessageRejected as rejection:
            await self._dead_letter(message, rejection)
            return
        with correlation_scope(event.correlationid):
            await self._process_until_settled(event, message)

    async def _process_until_settled(self, event: CloudEvent, message: RabbitMessage) -> None:
        bound = log.bind(queue=self.queue.name, event_id=event.id, event_type=event.type)
        attempt = _delivery_count(message) + 1
        while True:
            try:
                outcome = await self._process(event)
            except Exception:
                self._count(event.type, "failed")
                if attempt > self.queue.delivery_limit:
                    bound.exception("event.handler_failed", attempt=attempt)
                    rejection = MessageRejected("delivery_limit", f"failed {attempt} times")
                    await self._dead_letter(message, rejection, event)
                    return
                pause = min(self._retry_pause * attempt, MAX_RETRY_PAUSE_SECONDS)
                bound.exception(
                    "event.handler_failed",
                    attempt=attempt,
                    delivery_limit=self.queue.delivery_limit,
                    retry_in_seconds=pause,
                )
                if await wait_for_signal(self._closing, pause):
                    bound.warning("event.requeued_on_shutdown", attempt=attempt)
                    await message.reject(requeue=True)
                    return
                attempt += 1
                continue
            bound.info(f"event.{outcome}")
            self._count(event.type, outcome)
            await message.ack()
            return

    async def _process(self, event: CloudEvent) -> str:
        """Deduplicate, dispatch and record one event; returns the outcome for logs."""
        if await self._processed.seen(self.queue.name, event.id):
            return "duplicate"
        handlers = [h for p, h in self._handlers.items() if topic_matches(p, event.type)]
        for handler in handlers:
            await handler(event)
        await self._processed.record(self.queue.name, event)
        return "processed" if handlers else "ignored"

    async def _dead_letter(
        self, message: RabbitMessage, rejection: MessageRejected, event: CloudEvent | None = None
    ) -> None:
        log.error(
            "event.rejected_to_dlq",
            queue=self.queue.name,
            dead_letter_queue=self.queue.dead_letter_name,
            message_id=message.message_id,
            reason=rejection.reason,
            detail=rejection.detail,
        )
        EVENTS_REJECTED.labels(
            service=self.service, queue=self.queue.name, reason=rejection.reason
        ).inc()
        self._count(event.type if event else "invalid", "rejected")
        await message.reject(requeue=False)

    def _count(self, event_type: str, outcome: str) -> None:
        EVENTS_CONSUMED.labels(
            service=self.service, queue=self.queue.name, type=event_type, outcome=outcome
        ).inc()


def _delivery_count(message: RabbitMessage) -> int:
    raw = (message.headers or {}).get("x-delivery-count", 0)
    try:
        return max(0, int(raw))
    except (TypeError, ValueError):
        return 0
