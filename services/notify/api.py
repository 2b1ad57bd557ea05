"""HTTP resources for subscriptions and deliveries (DESIGN.md, "notify"); all need notify:admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from services.notify.broker import NotifyBroker
from services.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    ReplayEvents,
    RetryDelivery,
    RotateSecret,
    UpdateSubscription,
)
from services.notify.deliveries import Delivery, DeliveryStatus
from services.notify.deps import Attempts, Health, NotifyConnection, Subscriptions
from services.notify.domain import (
    MAX_IN_FLIGHT,
    MAX_PATTERNS,
    SettableStatus,
    Subscription,
    SubscriptionChanges,
    SubscriptionFilter,
    SubscriptionStatus,
)
from services.notify.handlers import ReplayStarted
from services.notify.repository import HealthStore, SubscriptionHealth
from services.notify.topology import subscription_queue_name
from shared.clock import UtcDateTime, utcnow
from shared.domain import ExpectedVersion
from shared.http.auth import require_scope
from shared.http.concurrency import if_match_version, set_etag
from shared.http.deps import Bus, Creating
from shared.http.fields import RequestBody
from shared.http.pagination import page_request
from shared.pagination import Page, PageRequest

admin = Depends(require_scope("notify:admin"))
Pattern = Annotated[str, Field(max_length=255)]
router = APIRouter(tags=["subscriptions"], dependencies=[admin])


class SubscriptionCreate(RequestBody):
    url: str = Field(max_length=2048, examples=["https://example.go.id/hooks/mpp"])
    event_types: list[Pattern] = Field(
        min_length=1,
        max_length=MAX_PATTERNS,
        description="AMQP topic patterns: `*` one word, `#` any.",
        examples=[["mou.*", "mall.inaugurated"]],
    )
    description: str | None = Field(default=None, max_length=1000)
    max_in_flight: int = Field(
        default=1,
        ge=1,
        le=MAX_IN_FLIGHT,
        description="Deliveries in flight at once; 1 (the default) keeps them in order.",
    )


class SubscriptionPatch(RequestBody):
    url: str | None = Field(default=None, max_length=2048)
    event_types: list[Pattern] | None = Field(default=None, min_length=1, max_length=MAX_PATTERNS)
    description: str | None = Field(default=None, max_length=1000)
    max_in_flight: int | None = Field(default=None, ge=1, le=MAX_IN_FLIGHT)
    status: SettableStatus | None = Field(
        default=None, description="`paused` holds deliveries; `active` resumes or re-enables."
    )


class Rotation(RequestBody):
    grace_seconds: float | None = Field(
        default=None,
        ge=0,
        le=30 * 86400,
        description="How long the old secret keeps signing beside the new one (0: stop at"
        " once, after a leak); default: the service's setting.",
    )


class Replay(RequestBody):
    since: UtcDateTime = Field(
        description="Re-send logged events whose `time` is this or later (read from the"
        " log stream, within its retention)."
    )
    until: UtcDateTime | None = Field(default=None, description="... and earlier than this.")


class SubscriptionView(BaseModel):
    """A subscription as its operators see it; the secret is never shown again."""

    id: str
    url: str
    event_types: list[str]
    description: str | None
    status: SubscriptionStatus
    max_in_flight: int = Field(description="Deliveries in flight at once (1: in order).")
    backlog: int | None = Field(
        default=None,
        description="Messages waiting in its queue (not attempted yet, or back from a"
        " retry delay); paused subscriptions hold theirs here.",
    )
    disabled_reason: str | None = Field(description="Why the service disabled it.")
    disabled_at: datetime | None
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until when deliveries also carry the signature of the previous secret."
    )
    health: SubscriptionHealth
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, subscription: Subscription, health: SubscriptionHealth, backlog: int | None = None
    ) -> SubscriptionView:
        now = utcnow()
        expiries = [p.expires_at for p in subscription.previous_secrets if p.expires_at > now]
        return cls(
            **subscription.model_dump(
                include={
                    "id",
                    "url",
                    "event_types",
                    "description",
                    "status",
                    "max_in_flight",
                    "disabled_reason",
                    "disabled_at",
                    "secret_rotated_at",
                    "version",
                    "created_at",
                    "updated_at",
                }
            ),
            previous_secret_expires_at=max(expiries) if expiries else None,
            health=health,
            backlog=backlog,
        )


class SubscriptionWithSecret(SubscriptionView):
    secret: str = Field(
        description="The signing secret (`whsec_...`): shown only now; keep it safe."
    )


async def _view(
    response: Response,
    subscription: Subscription,
    health: HealthStore,
    broker: NotifyBroker | None = None,
) -> SubscriptionView:
    set_etag(response, subscription.version)
    backlog = None
    if broker is not None:
        backlog = await broker.depth(subscription_queue_name(subscription.id))
    return SubscriptionView.of(subscription, await health.get(subscription.id), backlog)


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
async def create_subscription(
    body: SubscriptionCreate, creating: Creating
) -> SubscriptionWithSecret:
    """Subscribe a URL to event types; the answer holds the signing secret, once."""
    subscription = await creating.handle(
        CreateSubscription(**body.model_dump()),
        read_at="get_subscription",
        id_param="subscription_id",
    )
    view = SubscriptionView.of(subscription, SubscriptionHealth())
    return SubscriptionWithSecret(**view.model_dump(), secret=subscription.secret)


@router.get("/subscriptions")
async def list_subscriptions(
    subscriptions: Subscriptions,
    health: Health,
    status: SubscriptionStatus | None = Query(None),
    page: PageRequest = Depends(page_request),
) -> Page[SubscriptionView]:
    found = await subscriptions.list(SubscriptionFilter(status=status), page)
    healths = await health.get_many([s.id for s in found.items])
    return Page[SubscriptionView](
        items=[SubscriptionView.of(s, healths[s.id]) for s in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/subscriptions/{subscription_id}", name="get_subscription")
async def get_subscription(
    subscription_id: str,
    response: Response,
    subscriptions: Subscriptions,
    health: Health,
    broker: NotifyConnection,
) -> SubscriptionView:
    return await _view(response, await subscriptions.get(subscription_id), health, broker)


@router.patch("/subscriptions/{subscription_id}")
async def update_subscription(
    subscription_id: str,
    body: SubscriptionPatch,
    response: Response,
    bus: Bus,
    health: Health,
    expected_version: ExpectedVersion = Depends(if_match_version),
) -> SubscriptionView:
    """Change URL, patterns or description; pause, resume, or re-enable a disabled one."""
    command = UpdateSubscription(
        subscription_id=subscription_id,
        changes=SubscriptionChanges.model_validate(body.model_dump(exclude_unset=True)),
        expected_version=expected_version,
    )
    return await _view(response, await bus.handle(command), health)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_subscription(
    subscription_id: str,
    bus: Bus,
    expected_version: ExpectedVersion = Depends(if_match_version),
) -> Response:
    """Delete it with its deliveries; nothing more is sent to it."""
    await bus.handle(
        DeleteSubscription(subscription_id=subscription_id, expected_version=expected_version)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/subscriptions/{subscription_id}/rotate-secret")
async def rotate_secret(
    subscription_id: str,
    response: Response,
    bus: Bus,
    health: Health,
    body: Rotation | None = None,
    expected_version: ExpectedVersion = Depends(if_match_version),
) -> SubscriptionWithSecret:
    """A new secret, shown once; the old one keeps signing beside it for a grace period."""
    command = RotateSecret(
        subscription_id=subscription_id,
        grace_seconds=body.grace_seconds if body else None,
        expected_version=expected_version,
    )
    rotated = await bus.handle(command)
    view = await _view(response, rotated.subscription, health)
    return SubscriptionWithSecret(**view.model_dump(), secret=rotated.secret)


@router.get("/subscriptions/{subscription_id}/deliveries")
async def list_deliveries(
    subscription_id: str,
    subscriptions: Subscriptions,
    deliveries: Attempts,
    status: DeliveryStatus | None = Query(None),
    page: PageRequest = Depends(page_request),
) -> Page[Delivery]:
    """Its attempted deliveries, by first attempt, each with every attempt.

    Deliveries not attempted yet wait in the subscription's queue (its `backlog`). Pages are
    read from the store by a keyset cursor. With `status`, a page scans at most ten times
    `limit` deliveries, so it may hold fewer than `limit` items, even none, while
    `next_cursor` is set: follow `next_cursor` until it is null. A `cursor` this service did
    not issue is a 422 problem naming `cursor`.
    """
    await subscriptions.get(subscription_id)
    return await deliveries.list(subscription_id, status, page)


@router.post("/subscriptions/{subscription_id}/replay", status_code=status.HTTP_202_ACCEPTED)
async def replay(subscription_id: str, body: Replay, bus: Bus) -> ReplayStarted:
    """Send again every logged event since a time that the subscription wants."""
    started: ReplayStarted = await bus.handle(
        ReplayEvents(subscription_id=subscription_id, since=body.since, until=body.until)
    )
    return started


@router.get("/deliveries/{delivery_id}", tags=["deliveries"])
async def get_delivery(delivery_id: str, deliveries: Attempts) -> Delivery:
    return await deliveries.get(delivery_id)


@router.post(
    "/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["deliveries"],
)
async def retry_delivery(delivery_id: str, bus: Bus) -> Delivery:
    """Attempt it again now (also a dead or succeeded one)."""
    delivery: Delivery = await bus.handle(RetryDelivery(delivery_id=delivery_id))
    return delivery
