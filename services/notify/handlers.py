"""One handler per command: load, call the domain, save; then bring the broker in line.

The store records the subscription; its queue, bindings and the consumers of every replica
follow (``NotifyBroker``, ``SubscriptionWorkers.announce``). Each step is idempotent, and
every replica re-applies the stored state on start, so a crash between them heals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.notify.broker import NotifyBroker
from services.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    DisableSubscription,
    OnSubscription,
    ReplayEvents,
    ReplayStarted,
    RetryDelivery,
    RotatedSecret,
    RotateSecret,
    UpdateSubscription,
)
from services.notify.deliveries import AttemptLog, Delivery
from services.notify.delivery import ATTEMPT, POSITION, REPLAY
from services.notify.domain import Subscription, check_url
from services.notify.livelog import LiveLog
from services.notify.repository import HealthStore, SubscriptionRepository
from shared.clock import new_id
from shared.egress import EgressPolicy, EgressRefused
from shared.errors import InvalidTransition, RuleViolated
from shared.events.patterns import matches_any
from shared.logging import get_logger
from shared.secrets import redact_url
from shared.unit_of_work import load_for_change

log = get_logger(__name__)

Announce = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class NotifyDeps:
    """What the handlers act on, wired once in the bootstrap.

    Args:
        announce: tells every replica's workers that a subscription changed.
        egress: where webhooks may go.
        default_grace_seconds: how long a rotated secret keeps signing when the command
            names no grace.
    """

    subscriptions: SubscriptionRepository
    attempts: AttemptLog
    health: HealthStore
    broker: NotifyBroker
    live: LiveLog
    announce: Announce
    egress: EgressPolicy
    default_grace_seconds: float

    async def changing(self, command: OnSubscription[Any]) -> Subscription:
        """The subscription ``command`` names, checked against the version it pinned."""
        return await load_for_change(
            self.subscriptions, command.subscription_id, command.expected_version
        )


async def vet_url(egress: EgressPolicy, url: str, field: str = "url") -> None:
    """A 422 naming ``field`` unless ``url`` is well formed and the egress policy allows it."""
    check_url(url, field)
    try:
        await egress.check_url_resolved(url.strip())
    except EgressRefused as refused:
        raise RuleViolated(refused.reason, field=field) from None


async def create_subscription(command: CreateSubscription, deps: NotifyDeps) -> Subscription:
    await vet_url(deps.egress, command.url)
    subscription = Subscription.create(**command.arguments())
    await deps.subscriptions.add(subscription)
    await deps.broker.declare_subscription(subscription.id)
    await deps.broker.bind(subscription.id, subscription.event_types)
    await deps.announce(subscription.id)
    log.info(
        "subscription.created", subscription_id=subscription.id, url=redact_url(subscription.url)
    )
    return subscription


async def update_subscription(command: UpdateSubscription, deps: NotifyDeps) -> Subscription:
    if command.changes.url is not None:
        await vet_url(deps.egress, command.changes.url)
    subscription = await deps.changing(command)
    was, patterns = subscription.status, list(subscription.event_types)
    changed = subscription.update(command.changes)
    if not changed:
        return subscription
    await deps.subscriptions.save(subscription)
    if was == "disabled" and subscription.status != "disabled":
        await deps.broker.declare_subscription(subscription.id)
        await deps.broker.bind(subscription.id, subscription.event_types)
        await deps.health.reset(subscription.id)
    elif "event_types" in changed and subscription.status != "disabled":
        # Bind the new patterns before dropping the old: no event falls between.
        await deps.broker.bind(subscription.id, subscription.event_types)
        await deps.broker.unbind(
            subscription.id, [p for p in patterns if p not in subscription.event_types]
        )
    await deps.announce(subscription.id)
    if "status" in changed:
        log.info(
            "subscription.status_changed",
            subscription_id=subscription.id,
            was=was,
            now=subscription.status,
        )
    return subscription


async def delete_subscription(command: DeleteSubscription, deps: NotifyDeps) -> None:
    subscription = await deps.changing(command)
    await deps.subscriptions.delete(subscription)
    await deps.announce(subscription.id)
    await deps.broker.delete_subscription(subscription.id)
    await deps.attempts.delete_for(subscription.id)
    await deps.health.forget(subscription.id)
    log.info("subscription.deleted", subscription_id=subscription.id)


async def rotate_secret(command: RotateSecret, deps: NotifyDeps) -> RotatedSecret:
    subscription = await deps.changing(command)
    grace = deps.default_grace_seconds if command.grace_seconds is None else command.grace_seconds
    secret = subscription.rotate_secret(timedelta(seconds=grace))
    await deps.subscriptions.save(subscription)
    await deps.announce(subscription.id)
    log.info("subscription.secret_rotated", subscription_id=subscription.id, grace_seconds=grace)
    return RotatedSecret(subscription, secret)


async def disable_subscription(command: DisableSubscription, deps: NotifyDeps) -> Subscription:
    """Disable it: its queue stops receiving events and drops its backlog (replay recovers)."""
    subscription = await deps.changing(command)
    if subscription.disable(command.reason):
        await deps.subscriptions.save(subscription)
        await deps.announce(subscription.id)
        with contextlib.suppress(Exception):  # deleted meanwhile
            await deps.broker.unbind(subscription.id, subscription.event_types)
            await deps.broker.purge(subscription.id)
        log.warning(
            "subscription.disabled",
            subscription_id=subscription.id,
            url=redact_url(subscription.url),
            reason=command.reason,
        )
    return subscription


async def retry_delivery(command: RetryDelivery, deps: NotifyDeps) -> Delivery:
    """One more attempt of a delivery, now: its event is read back from the log stream."""
    delivery = await deps.attempts.get(command.delivery_id)
    subscription = await deps.subscriptions.get(delivery.subscription_id)
    subscription.ensure_deliverable()
    entry = await deps.live.find(delivery.event_id, delivery.event_time)
    if entry is None:
        raise InvalidTransition(
            f"event {delivery.event_id} is no longer in the event log (retention)",
            current_state=delivery.status,
        )
    headers: dict[str, object] = {ATTEMPT: delivery.attempt_count, "x-mpp-retry": 1}
    if delivery.replay_id:
        headers[REPLAY] = delivery.replay_id
    headers[POSITION] = entry.position
    await deps.broker.send(subscription.id, entry.body(), headers, publisher=entry.publisher)
    log.info("delivery.retry_requested", delivery_id=delivery.id, status=delivery.status)
    return delivery


async def replay_events(command: ReplayEvents, deps: NotifyDeps) -> ReplayStarted:
    """Every logged event since ``since`` that the subscription wants, into its queue."""
    if command.until is not None and command.until <= command.since:
        raise RuleViolated("until must come after since", field="until")
    subscription = await deps.subscriptions.get(command.subscription_id)
    subscription.ensure_deliverable()
    replay_id = new_id("rpl")
    sent = 0
    async with contextlib.aclosing(deps.live.entries(0, command.since)) as entries:
        async for position, entry in entries:
            if entry is None or not matches_any(subscription.event_types, entry.type):
                continue
            when = entry.time
            if when is None or when < command.since:
                continue
            if command.until is not None and when >= command.until:
                continue
            headers = {REPLAY: replay_id, POSITION: position}
            await deps.broker.send(
                subscription.id, entry.body(), headers, publisher=entry.publisher
            )
            sent += 1
    log.info(
        "subscription.replay_started",
        subscription_id=subscription.id,
        replay_id=replay_id,
        since=command.since.isoformat(),
        deliveries=sent,
    )
    return ReplayStarted(
        replay_id=replay_id,
        subscription_id=subscription.id,
        since=command.since,
        until=command.until,
        deliveries=sent,
    )
