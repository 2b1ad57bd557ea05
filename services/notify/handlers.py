"""One handler per command: load, call the domain, save; then wake the dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel

from services.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    DisableSubscription,
    ReplayEvents,
    RetryDelivery,
    RotateSecret,
    UpdateSubscription,
)
from services.notify.deliveries import Delivery, DeliveryStore
from services.notify.domain import Subscription, check_url
from services.notify.eventlog import EventLog
from services.notify.repository import HealthStore, SubscriptionRepository
from services.notify.retry import RetryPolicy
from shared.clock import UtcDateTime, new_id, utcnow
from shared.egress import EgressPolicy, EgressRefused
from shared.errors import RuleViolated
from shared.logging import get_logger
from shared.secrets import redact_url

log = get_logger(__name__)

Wake = Callable[[], None]


class ReplayStarted(BaseModel):
    """What a replay queued."""

    replay_id: str
    subscription_id: str
    since: UtcDateTime
    until: UtcDateTime | None = None
    deliveries: int


async def vet_url(egress: EgressPolicy, url: str, field: str = "url") -> None:
    """A 422 naming ``field`` unless ``url`` is well formed and the egress policy allows it."""
    check_url(url, field)
    try:
        await egress.check_url_resolved(url.strip())
    except EgressRefused as refused:
        raise RuleViolated(refused.reason, field=field) from None


async def create_subscription(
    command: CreateSubscription, subscriptions: SubscriptionRepository, egress: EgressPolicy
) -> Subscription:
    await vet_url(egress, command.url)
    subscription = Subscription.create(
        url=command.url, event_types=command.event_types, description=command.description
    )
    await subscriptions.add(subscription)
    log.info(
        "subscription.created", subscription_id=subscription.id, url=redact_url(subscription.url)
    )
    return subscription


async def update_subscription(
    command: UpdateSubscription,
    subscriptions: SubscriptionRepository,
    health: HealthStore,
    wake: Wake,
    egress: EgressPolicy,
) -> Subscription:
    if command.changes.get("url") is not None:
        await vet_url(egress, command.changes["url"])
    subscription = await subscriptions.get(command.subscription_id)
    subscription.ensure_version(command.expected_version)
    was = subscription.status
    changed = subscription.update(command.changes)
    if not changed:
        return subscription
    await subscriptions.save(subscription)
    if "status" in changed:
        log.info(
            "subscription.status_changed",
            subscription_id=subscription.id,
            was=was,
            now=subscription.status,
        )
        if was == "disabled":
            await health.reset(subscription.id)
        wake()
    return subscription


async def delete_subscription(
    command: DeleteSubscription,
    subscriptions: SubscriptionRepository,
    deliveries: DeliveryStore,
    health: HealthStore,
) -> None:
    subscription = await subscriptions.get(command.subscription_id)
    subscription.ensure_version(command.expected_version)
    await subscriptions.delete(subscription)
    await deliveries.delete_for(subscription.id)
    await health.forget(subscription.id)
    log.info("subscription.deleted", subscription_id=subscription.id)


async def rotate_secret(
    command: RotateSecret, subscriptions: SubscriptionRepository, default_grace_seconds: float
) -> tuple[Subscription, str]:
    subscription = await subscriptions.get(command.subscription_id)
    subscription.ensure_version(command.expected_version)
    grace = default_grace_seconds if command.grace_seconds is None else command.grace_seconds
    secret = subscription.rotate_secret(timedelta(seconds=grace))
    await subscriptions.save(subscription)
    log.info("subscription.secret_rotated", subscription_id=subscription.id, grace_seconds=grace)
    return subscription, secret


async def disable_subscription(
    command: DisableSubscription, subscriptions: SubscriptionRepository
) -> Subscription:
    subscription = await subscriptions.get(command.subscription_id)
    subscription.ensure_version(command.expected_version)
    if subscription.disable(command.reason):
        await subscriptions.save(subscription)
        log.warning(
            "subscription.disabled",
            subscription_id=subscription.id,
            url=redact_url(subscription.url),
            reason=command.reason,
        )
    return subscription


async def retry_delivery(
    command: RetryDelivery,
    deliveries: DeliveryStore,
    subscriptions: SubscriptionRepository,
    wake: Wake,
) -> Delivery:
    delivery = await deliveries.get(command.delivery_id)
    subscription = await subscriptions.get(delivery.subscription_id)
    subscription.ensure_deliverable()
    delivery = await deliveries.request_retry(delivery.id, utcnow())
    log.info("delivery.retry_requested", delivery_id=delivery.id, status=delivery.status)
    wake()
    return delivery


async def replay_events(
    command: ReplayEvents,
    subscriptions: SubscriptionRepository,
    events: EventLog,
    deliveries: DeliveryStore,
    policy: RetryPolicy,
    wake: Wake,
) -> ReplayStarted:
    """Fresh deliveries of every logged event since ``since`` that the subscription wants."""
    if command.until is not None and command.until <= command.since:
        raise RuleViolated("until must come after since", field="until")
    subscription = await subscriptions.get(command.subscription_id)
    subscription.ensure_deliverable()
    replay_id = new_id("rpl")
    created = 0
    async for batch in events.matching_since(
        subscription.event_types, command.since, command.until
    ):
        first_attempt_at = _later(policy.first_delay())
        for logged in batch:
            created += await deliveries.create(
                [subscription.id],
                logged,
                first_attempt_at=first_attempt_at,
                origin="replay",
                replay_id=replay_id,
            )
    log.info(
        "subscription.replay_started",
        subscription_id=subscription.id,
        replay_id=replay_id,
        since=command.since.isoformat(),
        deliveries=created,
    )
    wake()
    return ReplayStarted(
        replay_id=replay_id,
        subscription_id=subscription.id,
        since=command.since,
        until=command.until,
        deliveries=created,
    )


def _later(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)
