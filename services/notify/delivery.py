"""One webhook attempt per message of a subscription's queue, and what follows from it.

The queue holds what is due; a message carries how many attempts it had (``x-mpp-attempt``)
and, after a failure, when it is due again (``x-mpp-due``). A failed attempt puts the message
into a delay tier (confirmed) before it is acked, so a crash at any point loses nothing: the
worst is one more attempt of what was in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from aio_pika.abc import AbstractIncomingMessage
from opentelemetry import propagate
from pydantic import ValidationError

from services.notify import SERVICE
from services.notify.broker import NotifyBroker
from services.notify.deliveries import (
    Attempt,
    AttemptLog,
    AttemptOutcome,
    AttemptRecord,
    delivery_id,
)
from services.notify.domain import Subscription
from services.notify.metrics import count_attempt
from services.notify.repository import HealthStore
from services.notify.retry import RetryPolicy, parse_retry_after, pick_tier
from services.notify.signing import webhook_headers
from services.notify.topology import subscription_queue_name
from services.notify.webhook_client import WebhookClient, read_excerpt
from shared.clock import utcnow
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.logging import correlation_scope, get_logger
from shared.messaging.consumer import parse_event
from shared.messaging.identity import publisher_of, verify_publisher
from shared.tracing import client_span, consumer_span, tracer_provider

log = get_logger(__name__)
_INFO_LOGGED = logging.getLogger(__name__)
"""The standard logger behind ``log``: asked whether INFO is on before a success is logged."""

ATTEMPT = "x-mpp-attempt"
DUE = "x-mpp-due"
REPLAY = "x-mpp-replay"
POSITION = "x-mpp-position"
RECENT_IDS = 10_000
SLEEP_BEFORE_DUE_MS = 100
"""A message this close to due waits in the consumer instead of going round a tier again:
RabbitMQ may expire a TTL a few milliseconds early, and an attempt never comes before due."""
PARSED_CACHE = 1024
"""Bodies whose parsed event is kept: one event fans out to many subscriptions at once."""

Disable = Callable[[str, str], Awaitable[Any]]


class Settler(Protocol):
    """Where a successful attempt's ack and bookkeeping go (``workers.QueueConsumer``)."""

    def later(self, settle: Coroutine[Any, Any, None]) -> None: ...

    async def settled(self) -> None: ...


def _int_header(headers: dict[str, Any], name: str) -> int:
    value = headers.get(name)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


class Deliverer:
    """Sends the messages of subscription queues as signed webhooks.

    Args:
        broker: to put failed messages into delay tiers.
        client: the pooled webhook client (``build_webhook_client``).
        attempts: the attempt history.
        health: consecutive failed messages per subscription.
        policy: the retry schedule.
        disable: disables a subscription with a reason.
        concurrency: attempts in flight at once on this replica.
        failure_threshold: failed messages in a row that disable a subscription.
        excerpt_chars: how much of each answer to keep.
    """

    def __init__(
        self,
        *,
        broker: NotifyBroker,
        client: httpx.AsyncClient,
        attempts: AttemptLog,
        health: HealthStore,
        policy: RetryPolicy,
        disable: Disable,
        concurrency: int,
        timeout_seconds: float,
        failure_threshold: int,
        excerpt_chars: int,
    ) -> None:
        self._broker = broker
        self._client = client
        self._direct = client.webhooks if isinstance(client, WebhookClient) else None
        """The client's own transport, called without httpx's layers when nothing traces."""
        self._attempts = attempts
        self._health = health
        self._policy = policy
        self._disable = disable
        self._room = asyncio.Semaphore(concurrency)
        self._timeout = timeout_seconds
        self._threshold = failure_threshold
        self._excerpt_chars = excerpt_chars
        self._recent: dict[str, OrderedDict[str, None]] = {}
        self._parsed: OrderedDict[bytes, CloudEvent] = OrderedDict()
        self._healthy: set[str] = set()

    async def handle(
        self,
        subscription: Subscription,
        message: AbstractIncomingMessage,
        settler: Settler | None = None,
    ) -> None:
        """Deliver one message of ``subscription``'s queue, then settle it.

        Args:
            settler: takes what follows a successful attempt (the ack, the record, the
                health) to run beside the caller, which returns at once and may start the
                subscription's next attempt in the same step of the loop. A failure waits
                for those and is settled before returning, so a 410 or an auto-disable stops
                the next attempt.
        """
        try:
            event = self._parse(message.body)
            # Before anything about the event is logged or delivered: only its owner's
            # broker identity (or notify's relay of it) is believed.
            verify_publisher(event, message)
        except (ValidationError, ValueError):
            log.error("delivery.invalid_message", subscription_id=subscription.id)
            await message.reject(requeue=False)  # into notify.subscriptions.dlq
            return
        headers = dict(message.headers or {})
        done = _int_header(headers, ATTEMPT)
        due = _int_header(headers, DUE)
        if due == 0 and done == 0 and self._policy.schedule[0] > 0:
            due = int((time.time() + self._policy.schedule[0]) * 1000)
        early_ms = due - time.time() * 1000
        if early_ms > SLEEP_BEFORE_DUE_MS:
            await self._delay(subscription.id, message, headers, due)
            await message.ack()
            return
        if early_ms > 0:  # a tier's TTL ran out a little early: never before Retry-After
            await asyncio.sleep(early_ms / 1000)
        if done == 0 and REPLAY not in headers and self._seen(subscription.id, event.id):
            await message.ack()  # a republished event within the window
            return
        queue = subscription_queue_name(subscription.id)
        with correlation_scope(event.correlationid), consumer_span(SERVICE, queue, event):
            async with self._room:
                record = await self._attempt(subscription, event, message, headers, done + 1)
            settled = self._settle(subscription, message, record)
            if settler is not None:
                if record.attempt.outcome == "succeeded":
                    settler.later(settled)  # in this scope: its logs keep the correlation id
                    return
                await settler.settled()  # the successes before it count first
            await settled

    async def _settle(
        self, subscription: Subscription, message: AbstractIncomingMessage, record: AttemptRecord
    ) -> None:
        await message.ack()
        await self._attempts.append(record)
        await self._follow_up(subscription, record)

    async def close(self) -> None:
        """Write the attempt records still buffered (on shutdown, after the consumers)."""
        await self._attempts.close()

    def _parse(self, body: bytes) -> CloudEvent:
        """The event in ``body``, validated once per replica for all its subscriptions."""
        event = self._parsed.get(body)
        if event is None:
            event = parse_event(body)
            self._parsed[body] = event
            if len(self._parsed) > PARSED_CACHE:
                self._parsed.popitem(last=False)
        return event

    def _seen(self, subscription_id: str, event_id: str) -> bool:
        recent = self._recent.setdefault(subscription_id, OrderedDict())
        if event_id in recent:
            return True
        recent[event_id] = None
        if len(recent) > RECENT_IDS:
            recent.popitem(last=False)
        return False

    async def _delay(
        self,
        subscription_id: str,
        message: AbstractIncomingMessage,
        headers: dict[str, Any],
        due_ms: int,
    ) -> None:
        wait = max(due_ms / 1000 - time.time(), 0.0)
        tier = pick_tier(self._broker.tiers, wait) if self._broker.tiers else None
        await self._broker.send(
            subscription_id,
            message.body,
            {**headers, DUE: due_ms},
            delay_ms=tier,
            like=message,
            publisher=publisher_of(message),
        )

    async def _attempt(
        self,
        subscription: Subscription,
        event: CloudEvent,
        message: AbstractIncomingMessage,
        headers: dict[str, Any],
        number: int,
    ) -> AttemptRecord:
        """Send, put a failed message into its tier; the record to append."""
        attempt, retry_delay = await self._send(subscription, event.id, message.body, number)
        replay_id = headers.get(REPLAY) if isinstance(headers.get(REPLAY), str) else None
        position = _int_header(headers, POSITION) or None
        record = AttemptRecord.model_construct(  # our own values: nothing to validate
            delivery_id=delivery_id(subscription.id, event.id, replay_id),
            subscription_id=subscription.id,
            event_id=event.id,
            event_type=event.type,
            subject=event.subject,
            event_time=event.time,
            position=position,
            origin="replay" if replay_id else ("retry" if headers.get("x-mpp-retry") else "live"),
            replay_id=replay_id,
            attempt=attempt,
        )
        if retry_delay is not None:
            due = int((time.time() + retry_delay) * 1000)
            await self._broker.send(
                subscription.id,
                message.body,
                {**headers, ATTEMPT: number, DUE: due},
                delay_ms=pick_tier(self._broker.tiers, retry_delay),
                like=message,
                publisher=publisher_of(message),
            )
        count_attempt(attempt.outcome, attempt.duration_ms / 1000)
        return record

    async def _send(
        self, subscription: Subscription, msg_id: str, body: bytes, number: int
    ) -> tuple[Attempt, float | None]:
        """One POST; the attempt as recorded and the wait before the next (None: no next)."""
        started_at = utcnow()
        clock = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        excerpt: str | None = None
        retry_after_header: str | None = None
        try:
            status_code, excerpt, retry_after_header = await self._post(
                subscription, msg_id, started_at, body
            )
        except (TimeoutError, httpx.TimeoutException) as failure:
            prefix = "" if isinstance(failure, TimeoutError) else f"{type(failure).__name__}: "
            error = f"{prefix}no answer within {self._timeout:g} s"
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}".rstrip(": ")
        duration = time.perf_counter() - clock
        outcome: AttemptOutcome
        retry_after: float | None = None
        delay: float | None = None
        if status_code is not None and 200 <= status_code < 300:
            outcome = "succeeded"
        elif status_code == 410:
            outcome, error = "dead", "the receiver answered 410 Gone"
        else:
            error = error or f"the receiver answered HTTP {status_code}"
            if status_code is not None:
                retry_after = parse_retry_after(retry_after_header, utcnow())
            delay = self._policy.delay_after(number, retry_after)
            outcome = "dead" if delay is None or not self._broker.tiers else "failed"
        next_at = started_at + timedelta(seconds=duration + delay) if delay is not None else None
        attempt = Attempt.model_construct(
            number=number,
            at=started_at,
            duration_ms=round(duration * 1000, 2),
            status_code=status_code,
            error=error,
            response_excerpt=excerpt,
            retry_after_seconds=retry_after,
            outcome=outcome,
            next_attempt_at=next_at if outcome == "failed" else None,
        )
        return attempt, delay if outcome == "failed" else None

    async def _post(
        self, subscription: Subscription, msg_id: str, at: datetime, body: bytes
    ) -> tuple[int, str, str | None]:
        headers = {
            **webhook_headers(subscription.signing_secrets(at), msg_id, int(at.timestamp()), body),
            "content-type": CONTENT_TYPE,
        }
        provider = tracer_provider(SERVICE)
        async with asyncio.timeout(self._timeout):
            if self._direct is None:
                return await self._post_through_httpx(subscription.url, body, headers)
            if provider is None:
                return await self._post_direct(subscription.url, body, headers)
            with client_span(provider, SERVICE, subscription.url) as span:
                propagate.inject(headers)  # ``traceparent``: the receiver joins the trace
                answer = await self._post_direct(subscription.url, body, headers)
                span.set_attribute("http.response.status_code", answer[0])
                return answer

    async def _post_direct(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str | None]:
        """Through the webhook transport itself, without httpx's layers (the hot path)."""
        assert self._direct is not None
        answer = await self._direct.post(
            url,
            [(k.encode(), v.encode()) for k, v in headers.items()],
            body,
            keep_bytes=self._excerpt_chars * 4,
        )
        excerpt = answer.body.decode("utf-8", errors="replace")[: self._excerpt_chars]
        return answer.status, excerpt, answer.header(b"retry-after")

    async def _post_through_httpx(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str | None]:
        """Through any other httpx client (its instrumentation adds a span when tracing)."""
        async with self._client.stream("POST", url, content=body, headers=headers) as answer:
            excerpt = await read_excerpt(answer, self._excerpt_chars)
            return answer.status_code, excerpt, answer.headers.get("retry-after")

    async def _follow_up(self, subscription: Subscription, record: AttemptRecord) -> None:
        """Health and auto-disable; a success writes only when it changes something."""
        attempt = record.attempt
        if attempt.outcome == "succeeded":
            if _INFO_LOGGED.isEnabledFor(logging.INFO):  # skip the processors when filtered
                _bound(record).info("delivery.succeeded")  # the end of the correlated trail
            if subscription.id not in self._healthy:
                await self._health.succeeded(subscription.id, attempt.at)
                self._healthy.add(subscription.id)
            return
        self._healthy.discard(subscription.id)
        bound = _bound(record)
        error = attempt.error or "failed"
        if attempt.outcome == "failed":
            bound.warning("delivery.failed", error=error, next_attempt_at=attempt.next_attempt_at)
            await self._health.attempt_failed(subscription.id, attempt.at, error)
            return
        bound.warning("delivery.dead", error=error)
        in_a_row = await self._health.message_failed(subscription.id, attempt.at, error)
        if attempt.status_code == 410:
            await self._disable(
                subscription.id, f"the receiver at {subscription.url} answered 410 Gone"
            )
        elif in_a_row >= self._threshold:
            await self._disable(
                subscription.id,
                f"{in_a_row} messages in a row failed every attempt; the last: {error}",
            )


def _bound(record: AttemptRecord) -> Any:
    """The delivery's logger, naming what every line about one attempt names."""
    return log.bind(
        delivery_id=record.delivery_id,
        subscription_id=record.subscription_id,
        event_id=record.event_id,
        event_type=record.event_type,
        attempt=record.attempt.number,
        status_code=record.attempt.status_code,
        duration_ms=record.attempt.duration_ms,
    )
