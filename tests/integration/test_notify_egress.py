"""Notify's webhooks and the egress policy: refused when subscribed, refused when delivered.

These tests run notify with the default policy (``webhook_allowed_networks=""``): the
other notify tests allow loopback explicitly, because their receivers listen on it.

Tests that need only notify's HTTP and store run with no broker (``notify_in_process``);
the others use the ``rabbitmq`` fixture, which marks them ``broker``.
"""

from __future__ import annotations

from typing import Any

from services.notify.domain import Subscription
from services.notify.repository import SubscriptionRepository
from shared.egress import EgressPolicy, parse_networks
from shared.secrets import SecretBox
from shared.storage import Storage
from tests.support.catalogue_events import agency_registered, publish
from tests.support.eventually import eventually
from tests.support.loopback import PUBLIC, Dns
from tests.support.notify import AUTH, deliveries, running_notify, subscribe
from tests.support.notify_in_process import notify_in_process
from tests.support.servers import RunningService
from tests.support.webhooks import TEST_SECRET_KEYS, WebhookReceiver

REFUSED = {
    "http://127.0.0.1:8080/hooks": "loopback",
    "http://localhost/hooks": "loopback",
    "http://[::1]/hooks": "loopback",
    "http://0.0.0.0/hooks": "unspecified",
    "http://127.1/hooks": "loopback",
    "http://2130706433/hooks": "loopback",
    "http://0x7f000001/hooks": "loopback",
    "http://[::ffff:127.0.0.1]/hooks": "loopback",
    "http://10.0.0.1/hooks": "private",
    "http://192.168.1.1/hooks": "private",
    "http://169.254.169.254/latest/meta-data/": "link-local",
    "http://metadata.google.internal/computeMetadata/v1/": "link-local",
    "http://100.64.0.1/hooks": "shared",
    "http://[fd00::1]/hooks": "unique-local",
    "http://224.0.0.1/hooks": "multicast",
    "https://alice:hunter2@hooks.example.go.id/hooks": "credentials",
}


async def test_subscribing_an_internal_address_is_a_422_naming_the_url_and_why(
    notify_storage: Storage,
) -> None:
    answers: dict[str, Any] = {}
    async with notify_in_process(notify_storage, webhook_allowed_networks="") as notify:
        for url in REFUSED:
            answers[url] = await notify.client.post(
                "/subscriptions", json={"url": url, "event_types": ["#"]}, headers=AUTH
            )
        listed = await notify.client.get("/subscriptions", headers=AUTH)

    for url, why in REFUSED.items():
        answer = answers[url]
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["field"] == "url", url
        assert why in problem["detail"], (url, problem["detail"])
        assert "hunter2" not in answer.text
    assert listed.json()["items"] == []


async def test_changing_a_subscription_to_an_internal_address_is_refused_and_changes_nothing(
    notify_storage: Storage,
) -> None:
    async with notify_in_process(notify_storage, webhook_allowed_networks="") as notify:
        created = await notify.client.post(
            "/subscriptions",
            json={"url": "https://hooks.example.go.id/mpp", "event_types": ["#"]},
            headers=AUTH,
        )
        assert created.status_code == 201, created.text
        location = f"/subscriptions/{created.json()['id']}"
        refused = await notify.client.patch(
            location, json={"url": "http://169.254.169.254/latest/"}, headers=AUTH
        )
        after = await notify.client.get(location, headers=AUTH)

    assert refused.status_code == 422
    assert refused.json()["field"] == "url"
    assert "link-local" in refused.json()["detail"]
    assert after.json()["url"] == "https://hooks.example.go.id/mpp"
    assert after.json()["version"] == 1


async def test_by_default_a_loopback_receiver_gets_nothing_even_when_subscribed_before_the_policy(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with WebhookReceiver() as receiver:
        # Stored as an older release would have stored it, past today's API check; notify
        # gives every stored subscription its queue when it starts.
        legacy = Subscription.create(url=receiver.url, event_types=["agency.registered"])
        box = SecretBox.from_keys(TEST_SECRET_KEYS)
        await SubscriptionRepository(notify_storage.db, box).add(legacy)
        async with running_notify(notify_storage, webhook_allowed_networks="") as notify:
            await publish(event)
            # Stored once the attempt was over: refused before any connection was made.
            attempt = await eventually(lambda: _first_attempt(notify, legacy.id, event.id))

    assert attempt["status_code"] is None
    assert "loopback" in attempt["error"] and "WEBHOOK_ALLOWED_NETWORKS" in attempt["error"]
    assert receiver.received == []


async def test_a_name_that_rebinds_to_loopback_after_it_was_subscribed_gets_nothing(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    dns = Dns(hooks_example_test=[PUBLIC])
    async with (
        WebhookReceiver() as receiver,
        running_notify(
            notify_storage, egress=EgressPolicy(resolver=dns), webhook_allowed_networks=""
        ) as notify,
    ):
        created = await notify.client.post(
            "/subscriptions",
            json={
                "url": f"http://hooks.example.test:{receiver.port}/hooks/mpp",
                "event_types": ["agency.registered"],
            },
            headers=AUTH,
        )
        assert created.status_code == 201, created.text
        dns.answers["hooks.example.test"] = ["127.0.0.1"]

        await publish(event)
        # Stored once the attempt was over: refused before any connection was made.
        attempt = await eventually(lambda: _first_attempt(notify, created.json()["id"], event.id))

    assert "hooks.example.test (127.0.0.1) is a loopback address" in attempt["error"]
    assert receiver.received == []


async def test_with_loopback_allowed_a_receiver_by_name_gets_verified_webhooks(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    dns = Dns(hooks_example_test=["127.0.0.1"])
    allowed = "127.0.0.0/8"
    policy = EgressPolicy(parse_networks(allowed), resolver=dns)
    async with (
        WebhookReceiver() as receiver,
        running_notify(notify_storage, egress=policy, webhook_allowed_networks=allowed) as notify,
    ):
        receiver_by_name = _Named(receiver, f"http://hooks.example.test:{receiver.port}")
        await subscribe(notify, receiver_by_name, ["agency.registered"])  # type: ignore[arg-type]
        await publish(event)
        [hook] = await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)

    assert hook.headers["host"] == f"hooks.example.test:{receiver.port}"


class _Named:
    """A receiver as ``subscribe`` sees it, at a URL with a name instead of 127.0.0.1."""

    def __init__(self, receiver: WebhookReceiver, base: str) -> None:
        self.url = base + receiver.path
        self.trust = receiver.trust


async def _first_attempt(
    notify: RunningService, subscription_id: str, event_id: str
) -> dict[str, Any] | None:
    for delivery in await deliveries(notify, subscription_id):
        if delivery["event_id"] == event_id and delivery["attempts"]:
            attempt: dict[str, Any] = delivery["attempts"][0]
            return attempt
    return None
