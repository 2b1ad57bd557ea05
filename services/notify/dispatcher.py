"""The background worker that sends due deliveries as signed webhooks.

Each pass it claims, with a lease, what is due: for every active subscription its earliest
unattempted delivery (so first attempts go out in log order, one at a time per
subscription), and the most overdue retries. Attempts run concurrently across
subscriptions, bounded by a semaphore-like capacity; none of this runs on the consumer's
path, so a slow receiver never holds up the event log.

It wakes when told (an event was fanned out, an attempt ended, an operator asked for a
retry) and otherwise polls, so a restarted replica picks up whatever is stored as due.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.notify import SERVICE
from services.notify.deliveries import CLAIM, Attempt, DeliveryStatus, DeliveryStore
from services.notify.domain import Subscription
from services.notify.eventlog import EventLog
from services.notify.metrics import DELIVERIES, DELIVERY_SECONDS
from services.notify.repository import HealthStore, SubscriptionRepository
from services.notify.retry import RetryPolicy, parse_retry_after
from services.notify.signing import webhook_headers
from shared.background import cancel_and_wait, wait_for_signal
from shared.clock import utcnow
from shared.events.envelope import CONTENT_TYPE
from shared.logging import correlation_scope, get_logger
from shared.tracing import continued_trace

log = get_logger(__name__)

Disable = Callable[[str, str], Awaitable[Any]]
"""Disables a subscription (id, reason)."""


class Dispatcher:
    """Sends webhooks until stopped.

    Args:
        subscriptions: where to send, with which secrets.
        deliveries: what to send.
        events: the bodies (the logged CloudEvents).
        health: consecutive failed messages per subscription.
        policy: the retry schedule.
        disable: disables a subscription with a reason.
        concurrency: attempts in flight at once on this replica.
        timeout_seconds: how long one attempt may take.
        lease_seconds: how long a claim keeps other replicas off a delivery.
        poll_seconds: the longest pause between passes.
        failure_threshold: failed messages in a row that disable a subscription.
        excerpt_chars: how much of each answer to keep.
        client_factory: makes the HTTP client at start (``build_webhook_client``).
    """

    def __init__(
        self,
        *,
        subscriptions: SubscriptionRepository,
        deliveries: DeliveryStore,
        events: EventLog,
        health: HealthStore,
        policy: RetryPolicy,
        disable: Disable,
        concurrency: int = 32,
        timeout_seconds: float = 15.0,
        lease_seconds: float = 120.0,
        poll_seconds: float = 1.0,
        failure_threshold: int = 10,
        excerpt_chars: int = 1000,
        client_factory: Callable[[], httpx.AsyncClient],
    ) -> None:
        self._subscriptions = subscriptions
        self._deliveries = deliveries
        self._events = events
        self._health = health
        self._policy = policy
        self._disable = disable
        self._concurrency = concurrency
        self._timeout = timeout_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._threshold = failure_threshold
        self._excerpt_chars = excerpt_chars
        self._client_factory = client_factory
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._active_ids: list[str] = []

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is not None:
            return
        self._client = self._client_factory()
        self._task = asyncio.create_task(self._run(), name=f"{SERVICE}-dispatcher")

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Claim nothing more, let attempts in flight finish (up to ``grace_seconds``)."""
        if self._task is None:
            return
        await cancel_and_wait(self._task)
        self._task = None
        if self._inflight:
            _, unfinished = await asyncio.wait(set(self._inflight), timeout=grace_seconds)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.run_once()
                pause = await self._pause()
                failures = 0
            except Exception:
                failures += 1
                pause = min(self._poll * 2**failures, 30.0)
                log.exception("dispatcher.pass_failed", retry_in_seconds=pause)
            await wait_for_signal(self._wake, pause)

    async def _pause(self) -> float:
        """Until the next poll, or the next scheduled retry if that comes first.

        At full capacity there is nothing to claim: the end of an attempt wakes the loop.
        """
        if not self._active_ids or len(self._inflight) >= self._concurrency:
            return self._poll
        next_retry = await self._deliveries.next_retry_at(self._active_ids, utcnow())
        if next_retry is None:
            return self._poll
        return min(max((next_retry - utcnow()).total_seconds(), 0.01), self._poll)

    # --- claiming ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim and start what is due, within the free capacity; returns how many started."""
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return 0
        active = await self._subscriptions.active()
        self._active_ids = list(active)
        if not active:
            return 0
        now = utcnow()
        lease_until = now + self._lease
        claim = uuid.uuid4().hex
        started = 0

        # Retries first, but never more than half of the room: first attempts get the rest.
        started += await self._claim_retries(active, now, lease_until, claim, max(free // 2, 1))
        waiting = list(await self._deliveries.with_first_attempts_due(now) & active.keys())
        random.shuffle(waiting)  # no subscription is always served last
        for subscription_id in waiting:
            if started >= free:
                break
            claimed = await self._deliveries.claim_first_attempt(
                subscription_id, now, lease_until, claim
            )
            if claimed is not None:
                self._spawn(claimed, active[subscription_id])
                started += 1
        if started < free:
            started += await self._claim_retries(active, now, lease_until, claim, free - started)
        return started

    async def _claim_retries(
        self,
        active: dict[str, Subscription],
        now: datetime,
        lease_until: datetime,
        claim: str,
        room: int,
    ) -> int:
        started = 0
        while started < room:
            claimed = await self._deliveries.claim_retry(active.keys(), now, lease_until, claim)
            if claimed is None:
                break
            self._spawn(claimed, active[claimed["subscription_id"]])
            started += 1
        return started

    def _spawn(self, claimed: dict[str, Any], subscription: Subscription) -> None:
        task = asyncio.create_task(self._attempt(claimed, subscription))
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery.attempt_crashed", error=repr(task.exception()))
        self.wake()

    # --- one attempt ------------------------------------------------------------------------

    async def _attempt(self, claimed: dict[str, Any], subscription: Subscription) -> None:
        delivery_id = claimed["_id"]
        try:
            logged = await self._events.get(claimed["event_id"])
            correlation_id = logged.event.get("correlationid") if logged else None
            event = logged.event if logged else None
            with correlation_scope(correlation_id), continued_trace(event):
                await self._send(claimed, subscription, logged.body() if logged else None)
        except asyncio.CancelledError:
            # Shutting down mid-attempt: hand the delivery back for the next replica.
            await asyncio.shield(self._deliveries.release(delivery_id, claimed[CLAIM]))
            raise

    async def _send(
        self, claimed: dict[str, Any], subscription: Subscription, body: bytes | None
    ) -> None:
        number = int(claimed["attempt_count"]) + 1
        started_at = utcnow()
        clock = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        excerpt: str | None = None
        retry_after_header: str | None = None
        if body is None:
            error = "the event is missing from the log"
        else:
            try:
                status_code, excerpt, retry_after_header = await self._post(
                    subscription, claimed["event_id"], started_at, body
                )
            except TimeoutError:
                error = f"no answer within {self._timeout:g} s"
            except httpx.TimeoutException as failure:
                error = f"{type(failure).__name__}: no answer within {self._timeout:g} s"
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}".rstrip(": ")
        duration = time.perf_counter() - clock
        now = utcnow()

        status: DeliveryStatus
        retry_after: float | None = None
        next_attempt_at: datetime | None = None
        if status_code is not None and 200 <= status_code < 300:
            status = "succeeded"
        elif status_code == 410:
            status = "dead"
            error = "the receiver answered 410 Gone"
        else:
            error = error or f"the receiver answered HTTP {status_code}"
            if status_code is not None:
                retry_after = parse_retry_after(retry_after_header, now)
            delay = self._policy.delay_after(number, retry_after)
            if delay is None:
                status = "dead"
            else:
                status = "failed"
                next_attempt_at = now + timedelta(seconds=delay)

        attempt = Attempt(
            number=number,
            at=started_at,
            duration_ms=round(duration * 1000, 2),
            status_code=status_code,
            error=error,
            response_excerpt=excerpt,
            retry_after_seconds=retry_after,
            outcome=status,
            next_attempt_at=next_attempt_at,
        )
        await self._deliveries.record(claimed["_id"], claimed[CLAIM], attempt, status, number)
        DELIVERIES.labels(service=SERVICE, outcome=status).inc()
        DELIVERY_SECONDS.labels(service=SERVICE).observe(duration)
        bound = log.bind(
            delivery_id=claimed["_id"],
            subscription_id=subscription.id,
            event_id=claimed["event_id"],
            event_type=claimed["event_type"],
            attempt=number,
            status_code=status_code,
            duration_ms=attempt.duration_ms,
        )
        if status == "succeeded":
            bound.info("delivery.succeeded")
            await self._health.succeeded(subscription.id, now)
            return
        assert error is not None
        if status == "failed":
            bound.warning("delivery.failed", error=error, next_attempt_at=next_attempt_at)
            await self._health.attempt_failed(subscription.id, now, error)
            return
        bound.warning("delivery.dead", error=error)
        in_a_row = await self._health.message_failed(subscription.id, now, error)
        if status_code == 410:
            await self._disable(
                subscription.id, f"the receiver at {subscription.url} answered 410 Gone"
            )
        elif in_a_row >= self._threshold:
            await self._disable(
                subscription.id,
                f"{in_a_row} messages in a row failed every attempt; the last: {error}",
            )

    async def _post(
        self, subscription: Subscription, msg_id: str, at: datetime, body: bytes
    ) -> tuple[int, str, str | None]:
        """POST the signed body; the status, an excerpt of the answer and its Retry-After."""
        assert self._client is not None, "the dispatcher is not started"
        headers = {
            **webhook_headers(subscription.signing_secrets(at), msg_id, int(at.timestamp()), body),
            "content-type": CONTENT_TYPE,
        }
        async with (
            asyncio.timeout(self._timeout),
            self._client.stream("POST", subscription.url, content=body, headers=headers) as answer,
        ):
            excerpt = await _excerpt(answer, self._excerpt_chars)
            return answer.status_code, excerpt, answer.headers.get("retry-after")


async def _excerpt(response: httpx.Response, chars: int) -> str:
    """The start of the answer's body, read no further than needed."""
    if chars <= 0:
        return ""
    read = bytearray()
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= chars * 4:
            break
    return read.decode("utf-8", errors="replace")[:chars]
