"""Running the notify service in tests, subscribing receivers and reading its metrics."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.notify.bootstrap import build_app
from services.notify.topology import LOG_STREAM
from shared.egress import EgressPolicy
from shared.events.envelope import CloudEvent
from shared.storage import Storage
from tests.support.broker import delete_queues
from tests.support.catalogue_events import publish
from tests.support.eventually import eventually
from tests.support.servers import API_KEY, RunningService, run_service
from tests.support.webhooks import WebhookReceiver, notify_settings

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@asynccontextmanager
async def running_notify(
    storage: Storage,
    *,
    fresh_queue: bool = True,
    egress: EgressPolicy | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningService]:
    """The notify service over real HTTP, on the real broker (its log stream, its queues).

    Args:
        fresh_queue: delete the log stream ``notify.log`` first, so the log starts empty
            (False for a restart that must find what is still there).
        egress: the webhook egress policy (one with its own resolver); by default the
            settings' (loopback allowed, see ``notify_settings``).
        overrides: notify settings (``webhook_retry_schedule="0,0.2,0.4"``, ...).
    """
    if fresh_queue:
        await delete_queues([LOG_STREAM])
    app = partial(build_app, egress=egress)
    async with run_service(app, notify_settings(**overrides), storage) as service:
        yield service


@asynccontextmanager
async def subscribed(
    storage: Storage, event_types: tuple[str, ...] = ("agency.registered",), **overrides: Any
) -> AsyncIterator[tuple[RunningService, WebhookReceiver, dict[str, Any]]]:
    """notify running (with settings ``overrides``) and a receiver subscribed to
    ``event_types``: the service, the receiver and the subscription as created."""
    async with WebhookReceiver() as receiver, running_notify(storage, **overrides) as notify:
        yield notify, receiver, await subscribe(notify, receiver, list(event_types))


async def subscribe(
    service: RunningService,
    receiver: WebhookReceiver,
    event_types: list[str],
    description: str | None = None,
) -> dict[str, Any]:
    """Subscribe ``receiver`` and make it trust the secret the answer shows."""
    answer = await service.client.post(
        "/subscriptions",
        json={"url": receiver.url, "event_types": event_types, "description": description},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.text
    subscription: dict[str, Any] = answer.json()
    receiver.trust(subscription["secret"])
    return subscription


async def deliveries(
    service: RunningService | httpx.AsyncClient, subscription_id: str
) -> list[dict[str, Any]]:
    """Every delivery of a subscription, following the pages (of a service in this process,
    or over a client of one running elsewhere)."""
    client = service if isinstance(service, httpx.AsyncClient) else service.client
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = await client.get(
            f"/subscriptions/{subscription_id}/deliveries",
            params={"limit": 500, **({"cursor": cursor} if cursor else {})},
            headers=AUTH,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def all_succeeded(service: RunningService, subscription_id: str, ids: list[str]) -> bool:
    """Whether notify stored every one of these events' deliveries as succeeded."""
    found = [d for d in await deliveries(service, subscription_id) if d["event_id"] in ids]
    return len(found) == len(ids) and all(d["status"] == "succeeded" for d in found)


async def caught_up(
    service: RunningService,
    receiver: WebhookReceiver,
    subscription_id: str,
    marker: CloudEvent,
    timeout: float = 30.0,
) -> None:
    """Publish ``marker`` (an event the subscription takes) and wait until it is delivered.

    One subscription's deliveries go out in publishing order, so once notify stored the
    marker as succeeded, every delivery queued before it is done: what ``receiver`` lacks
    then was never sent, and nothing queued earlier comes again.
    """
    await publish(marker)
    await receiver.wait_for(lambda h: h.webhook_id == marker.id and h.accepted, timeout=timeout)
    await eventually(
        lambda: all_succeeded(service, subscription_id, [marker.id]),
        timeout=timeout,
        what=f"the marker {marker.id} stored as delivered",
    )


async def metric(service: RunningService, name: str, **labels: str) -> float:
    """The value of one sample on ``/metrics`` (0 when absent)."""
    text = (await service.client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def scoped_keys(**keys: list[str]) -> str:
    """``MPP_API_KEYS`` for keys named by their value, with the given scopes."""
    return json.dumps(
        [
            {"name": key, "sha256": hashlib.sha256(key.encode()).hexdigest(), "scopes": scopes}
            for key, scopes in keys.items()
        ]
    )
