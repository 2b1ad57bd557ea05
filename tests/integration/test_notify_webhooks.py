"""Webhook deliveries to a real local HTTP receiver, from events consumed off the real broker.

Every delivery the receiver takes is verified with the ``standardwebhooks`` package. Other
events may cross the broker while these tests run, so every assertion names the events it
published (by subject or id).

Tests that need only notify's HTTP and store run with no broker (``notify_in_process``);
the others use the ``rabbitmq`` fixture, which marks them ``broker``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.events.envelope import CloudEvent
from shared.storage import Storage
from tests.support.catalogue_events import agency_registered, mall_closed, publish
from tests.support.eventually import eventually
from tests.support.notify import (
    AUTH,
    all_succeeded,
    deliveries,
    metric,
    running_notify,
    scoped_keys,
    subscribe,
    subscribed,
)
from tests.support.notify_in_process import notify_in_process
from tests.support.servers import RunningService
from tests.support.webhooks import ReceivedWebhook, Reply, WebhookReceiver


def about(event: CloudEvent) -> Any:
    """A predicate on received events: this one."""
    return lambda e: e.get("id") == event.id


def hooks_of(receiver: WebhookReceiver, event: CloudEvent) -> list[ReceivedWebhook]:
    return [h for h in receiver.received if h.webhook_id == event.id]


async def delivery_of(
    service: RunningService, subscription_id: str, event: CloudEvent
) -> dict[str, Any] | None:
    found = [d for d in await deliveries(service, subscription_id) if d["event_id"] == event.id]
    assert len(found) <= 1
    return found[0] if found else None


async def delivery_in(
    service: RunningService, subscription_id: str, event: CloudEvent, status: str
) -> dict[str, Any]:
    """The event's delivery once notify stored it with ``status``."""
    found = await eventually(
        lambda: delivery_of(service, subscription_id, event),
        until=lambda delivery: delivery is not None and delivery["status"] == status,
        what=f"{event.id}'s delivery {status}",
    )
    assert found is not None
    return found


async def delivered(
    service: RunningService, receiver: WebhookReceiver, subscription_id: str, event: CloudEvent
) -> dict[str, Any]:
    """Wait until ``receiver`` accepted ``event`` and notify stored its delivery as done."""
    await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)
    return await delivery_in(service, subscription_id, event, "succeeded")


async def subscription_state(service: RunningService, subscription_id: str) -> dict[str, Any]:
    answer = await service.client.get(f"/subscriptions/{subscription_id}", headers=AUTH)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


async def test_a_receiver_that_fails_twice_then_succeeds_gets_the_event_on_the_third_attempt(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with subscribed(notify_storage, webhook_retry_schedule="0,0.2,0.4") as (
        notify,
        receiver,
        subscription,
    ):
        receiver.reply_with(500, Reply(503, body="busy, try later"), to=about(event))
        failed_before = await metric(notify, "mpp_webhook_deliveries_total", outcome="failed")

        await publish(event)
        delivery = await delivered(notify, receiver, subscription["id"], event)
        failed_after = await metric(notify, "mpp_webhook_deliveries_total", outcome="failed")
        state = await subscription_state(notify, subscription["id"])

    hooks = hooks_of(receiver, event)
    assert [h.answered for h in hooks] == [500, 503, 204]
    assert all(h.verified for h in hooks)
    assert {h.webhook_id for h in hooks} == {event.id}
    assert all(h.headers["content-type"].startswith("application/cloudevents+json") for h in hooks)
    assert CloudEvent.model_validate(hooks[-1].event) == event

    attempts = delivery["attempts"]
    assert [(a["number"], a["status_code"], a["outcome"]) for a in attempts] == [
        (1, 500, "failed"),
        (2, 503, "failed"),
        (3, 204, "succeeded"),
    ]
    assert attempts[1]["response_excerpt"] == "busy, try later"
    assert all(a["duration_ms"] >= 0 for a in attempts)
    # From the end of each attempt: the delay tier of the schedule (exact, no jitter).
    waits = [_gap(a["at"], a["next_attempt_at"]) - a["duration_ms"] / 1000 for a in attempts[:2]]
    assert 0.19 <= waits[0] <= 0.21 and 0.39 <= waits[1] <= 0.41
    assert delivery["attempt_count"] == 3 and delivery["last_status_code"] == 204
    assert failed_after - failed_before >= 2
    assert state["health"]["consecutive_failures"] == 0
    assert state["health"]["last_success_at"] is not None


async def test_retry_after_from_the_receiver_sets_when_the_next_attempt_comes(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with subscribed(notify_storage, webhook_retry_schedule="0,0.05,0.05") as (
        notify,
        receiver,
        subscription,
    ):
        receiver.reply_with(Reply(429, headers={"Retry-After": "1"}), to=about(event))
        await publish(event)
        delivery = await delivered(notify, receiver, subscription["id"], event)

    first, second = delivery["attempts"]
    assert first["status_code"] == 429
    assert first["retry_after_seconds"] == 1
    assert _gap(first["at"], first["next_attempt_at"]) >= 1.0
    assert _gap(first["at"], second["at"]) >= 1.0
    assert _gap(first["next_attempt_at"], second["at"]) >= 0  # never before it was due


@pytest.mark.parametrize("retry_after", ["\u00b2", "9" * 5000, "Tue, 99 Foo 2022"])
async def test_an_odd_retry_after_is_ignored_and_the_delivery_goes_on_by_the_schedule(
    rabbitmq: str, notify_storage: Storage, retry_after: str
) -> None:
    event, later = agency_registered(), agency_registered()
    async with subscribed(notify_storage, webhook_retry_schedule="0,0.2") as (
        notify,
        receiver,
        subscription,
    ):
        receiver.reply_with(Reply(503, headers={"Retry-After": retry_after}), to=about(event))
        await publish(event)
        await publish(later)
        await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)
        await receiver.wait_for(lambda h: h.webhook_id == later.id and h.accepted)
        delivery = await delivery_in(notify, subscription["id"], event, "succeeded")

    first, second = delivery["attempts"]
    assert first["status_code"] == 503 and first["retry_after_seconds"] is None
    assert second["status_code"] == 204


async def test_a_receiver_that_answers_410_gets_its_subscription_disabled_and_nothing_more(
    rabbitmq: str, notify_storage: Storage
) -> None:
    gone, later, marker = agency_registered(), agency_registered(), agency_registered()
    async with (
        WebhookReceiver() as receiver,
        WebhookReceiver() as witness,
        running_notify(notify_storage, webhook_retry_schedule="0,0.1,0.1") as notify,
    ):
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        await subscribe(notify, witness, ["agency.registered"])
        receiver.reply_with(410, to=about(gone))

        await publish(gone)
        state = await eventually(lambda: _disabled(notify, subscription["id"]))
        assert "410" in state["disabled_reason"]

        # Fan-out is in order: once the witness has the marker, `later` was fanned out too.
        await publish(later)
        await publish(marker)
        await witness.wait_for(lambda h: h.webhook_id == marker.id and h.accepted)
        dead = await delivery_of(notify, subscription["id"], gone)
        assert await delivery_of(notify, subscription["id"], later) is None

    assert [h.answered for h in hooks_of(receiver, gone)] == [410]
    assert hooks_of(receiver, later) == []
    assert dead is not None
    assert dead["status"] == "dead" and len(dead["attempts"]) == 1
    assert dead["attempts"][0]["error"] == "the receiver answered 410 Gone"


async def test_consecutive_failed_messages_disable_a_subscription_and_re_enabling_with_replay_catches_up(
    rabbitmq: str, notify_storage: Storage
) -> None:
    since = datetime.now(UTC)
    events = [mall_closed() for _ in range(3)]
    ids = {e.id for e in events}
    async with (
        WebhookReceiver(default=Reply(500, body="database down")) as receiver,
        running_notify(
            notify_storage, webhook_retry_schedule="0,0.1", webhook_failure_threshold=3
        ) as notify,
    ):
        subscription = await subscribe(notify, receiver, ["mall.closed"])
        for event in events:
            await publish(event)

        state = await eventually(lambda: _disabled(notify, subscription["id"]))
        assert state["disabled_reason"].startswith("3 messages in a row failed every attempt")
        assert "HTTP 500" in state["disabled_reason"]
        assert state["health"]["consecutive_failures"] == 3
        assert state["health"]["last_error"] == "the receiver answered HTTP 500"
        await eventually(
            lambda: metric(notify, "mpp_webhook_disabled_subscriptions"), until=lambda n: n >= 1
        )
        dead = [d for d in await deliveries(notify, subscription["id"]) if d["event_id"] in ids]
        assert [(d["status"], d["attempt_count"]) for d in dead] == [("dead", 2)] * 3

        refused = await notify.client.post(
            f"/subscriptions/{subscription['id']}/replay",
            json={"since": since.isoformat()},
            headers=AUTH,
        )
        assert refused.status_code == 409, refused.text

        # The operator fixes the receiver, re-enables the subscription and replays.
        receiver.default = Reply(204)
        enabled = await notify.client.patch(
            f"/subscriptions/{subscription['id']}",
            json={"status": "active"},
            headers={**AUTH, "If-Match": str(state["version"])},
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["status"] == "active"
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["health"]["consecutive_failures"] == 0

        replay = await notify.client.post(
            f"/subscriptions/{subscription['id']}/replay",
            json={"since": since.isoformat()},
            headers=AUTH,
        )
        assert replay.status_code == 202, replay.text
        assert replay.json()["deliveries"] >= 3
        await receiver.wait_for(lambda h: h.webhook_id in ids and h.accepted, count=3)

    replayed = [h for h in receiver.accepted if h.webhook_id in ids]
    assert sorted(h.webhook_id for h in replayed) == sorted(ids)
    assert all(len(h.signatures) == 1 for h in replayed)


async def test_a_receiver_that_is_down_gets_every_missed_event_once_it_is_back(
    rabbitmq: str, notify_storage: Storage
) -> None:
    events = [agency_registered() for _ in range(5)]
    ids = [e.id for e in events]
    receiver = WebhookReceiver()
    await receiver.start()
    async with running_notify(notify_storage, webhook_retry_schedule="0" + ",0.3" * 30) as notify:
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        await receiver.stop()
        for event in events:
            await publish(event)

        async def all_failed_twice() -> bool:
            found = [
                d for d in await deliveries(notify, subscription["id"]) if d["event_id"] in ids
            ]
            return len(found) == 5 and all(d["attempt_count"] >= 2 for d in found)

        await eventually(all_failed_twice)
        backlog = await eventually(
            lambda: metric(notify, "mpp_webhook_retry_backlog"), until=lambda n: n >= 5
        )
        assert backlog >= 5

        await receiver.start()
        try:
            await receiver.wait_for(lambda h: h.webhook_id in ids and h.accepted, count=5)
            await eventually(lambda: all_succeeded(notify, subscription["id"], ids))
            found = [
                d for d in await deliveries(notify, subscription["id"]) if d["event_id"] in ids
            ]
        finally:
            await receiver.stop()

    accepted = [h.webhook_id for h in receiver.accepted if h.webhook_id in ids]
    assert sorted(accepted) == sorted(ids)  # each once, none missing
    errors = {d["attempts"][0]["error"] for d in found}
    assert all(e and e.startswith("ConnectError") for e in errors)
    # First attempts went out in publishing order (the queue's order, one at a time).
    by_first_attempt = sorted(found, key=lambda d: d["attempts"][0]["at"])
    assert [d["event_id"] for d in by_first_attempt] == ids


async def test_pending_deliveries_survive_a_restart_of_the_service(
    rabbitmq: str, notify_storage: Storage
) -> None:
    events = [agency_registered() for _ in range(2)]
    ids = [e.id for e in events]
    receiver = WebhookReceiver()
    await receiver.start()
    await receiver.stop()
    settings: dict[str, Any] = {"webhook_retry_schedule": "0,0.2" + ",0.5" * 20}
    async with running_notify(notify_storage, **settings) as notify:
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        for event in events:
            await publish(event)

        async def failed() -> bool:
            found = [
                d for d in await deliveries(notify, subscription["id"]) if d["event_id"] in ids
            ]
            return len(found) == 2 and all(d["status"] == "failed" for d in found)

        await eventually(failed)

    await receiver.start()
    try:
        async with running_notify(notify_storage, fresh_queue=False, **settings) as notify:
            await receiver.wait_for(lambda h: h.webhook_id in ids and h.accepted, count=2)
            await eventually(lambda: all_succeeded(notify, subscription["id"], ids))
    finally:
        await receiver.stop()
    assert sorted(h.webhook_id for h in receiver.accepted if h.webhook_id in ids) == sorted(ids)


async def test_a_paused_subscription_holds_its_deliveries_until_it_is_resumed(
    rabbitmq: str, notify_storage: Storage
) -> None:
    held, marker = agency_registered(), agency_registered()
    async with (
        WebhookReceiver() as receiver,
        WebhookReceiver() as witness,
        running_notify(notify_storage) as notify,
    ):
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        await subscribe(notify, witness, ["agency.registered"])
        paused = await notify.client.patch(
            f"/subscriptions/{subscription['id']}", json={"status": "paused"}, headers=AUTH
        )
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
        assert paused.json()["version"] == 2

        await publish(held)
        await publish(marker)
        await witness.wait_for(lambda h: h.webhook_id == marker.id and h.accepted)
        # Nothing attempted: the delivery waits in the subscription's queue (its backlog).
        assert await delivery_of(notify, subscription["id"], held) is None
        waiting = await subscription_state(notify, subscription["id"])
        assert waiting["backlog"] >= 1
        assert hooks_of(receiver, held) == []

        resumed = await notify.client.patch(
            f"/subscriptions/{subscription['id']}",
            json={"status": "active"},
            headers={**AUTH, "If-Match": '"2"'},
        )
        assert resumed.status_code == 200, resumed.text
        await receiver.wait_for(lambda h: h.webhook_id == held.id and h.accepted)


async def test_first_attempts_to_one_subscription_go_out_one_at_a_time_in_log_order(
    rabbitmq: str, notify_storage: Storage
) -> None:
    events = [agency_registered() for _ in range(4)]
    ids = [e.id for e in events]
    async with WebhookReceiver() as receiver, running_notify(notify_storage) as notify:
        await subscribe(notify, receiver, ["agency.registered"])
        # The first answer is slow: the others must wait for it, not overtake it.
        receiver.reply_with(Reply(204, delay=0.5), to=about(events[0]))
        for event in events:
            await publish(event)
        await receiver.wait_for(lambda h: h.webhook_id in ids and h.accepted, count=4)

    assert [h.webhook_id for h in receiver.received if h.webhook_id in ids] == ids


async def test_a_slow_receiver_holds_up_neither_other_subscriptions_nor_the_event_log(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with (
        WebhookReceiver() as slow,
        WebhookReceiver() as fast,
        running_notify(notify_storage) as notify,
    ):
        slow_subscription = await subscribe(notify, slow, ["agency.registered"])
        await subscribe(notify, fast, ["agency.registered"])
        slow.reply_with(Reply(204, delay=2.0), to=about(event))
        await publish(event)

        await fast.wait_for(lambda h: h.webhook_id == event.id and h.accepted, timeout=1.5)
        logged = await notify.client.get("/events", params={"subject": event.subject})
        in_flight = await delivery_of(notify, slow_subscription["id"], event)

        assert [e["event"]["id"] for e in logged.json()["items"]] == [event.id]
        assert in_flight is None  # in flight: no attempt recorded yet
        await slow.wait_for(lambda h: h.webhook_id == event.id, timeout=10)


async def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with (
        WebhookReceiver() as receiver,
        running_notify(
            notify_storage,
            webhook_retry_schedule="0,0.1",
            webhook_timeout_seconds=0.3,
        ) as notify,
    ):
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        receiver.reply_with(Reply(204, delay=1.0), to=about(event))
        await publish(event)
        delivery = await delivery_in(notify, subscription["id"], event, "succeeded")

    timed_out, succeeded = delivery["attempts"]
    assert timed_out["status_code"] is None
    assert "no answer within 0.3 s" in timed_out["error"]
    assert timed_out["duration_ms"] < 900
    assert succeeded["status_code"] == 204


async def test_an_operator_can_retry_a_dead_delivery(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with subscribed(notify_storage, webhook_retry_schedule="0") as (
        notify,
        receiver,
        subscription,
    ):
        receiver.reply_with(500, to=about(event))
        await publish(event)
        dead = await delivery_in(notify, subscription["id"], event, "dead")

        retried = await notify.client.post(f"/deliveries/{dead['id']}/retry", headers=AUTH)
        assert retried.status_code == 202, retried.text
        await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)
        done = await delivery_in(notify, subscription["id"], event, "succeeded")
        one = await notify.client.get(f"/deliveries/{dead['id']}", headers=AUTH)

    assert [a["status_code"] for a in done["attempts"]] == [500, 204]
    assert one.json()["status"] == "succeeded"


async def test_after_a_secret_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    rabbitmq: str, notify_storage: Storage
) -> None:
    before, during, after = agency_registered(), agency_registered(), agency_registered()
    async with WebhookReceiver() as receiver, running_notify(notify_storage) as notify:
        subscription = await subscribe(notify, receiver, ["agency.registered"])
        old = subscription["secret"]
        await publish(before)
        await receiver.wait_for(lambda h: h.webhook_id == before.id and h.accepted)

        rotated = await notify.client.post(
            f"/subscriptions/{subscription['id']}/rotate-secret", headers=AUTH
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != old
        assert rotated.json()["previous_secret_expires_at"] is not None
        await publish(during)
        [hook] = await receiver.wait_for(lambda h: h.webhook_id == during.id and h.accepted)
        assert len(hook.signatures) == 2
        assert hook.verifies_with(old) and hook.verifies_with(new)

        # An operator who suspects a leak rotates with no grace: every earlier secret stops.
        immediate = await notify.client.post(
            f"/subscriptions/{subscription['id']}/rotate-secret",
            json={"grace_seconds": 0},
            headers=AUTH,
        )
        newest = immediate.json()["secret"]
        receiver.trust(newest)
        await publish(after)
        [last] = await receiver.wait_for(lambda h: h.webhook_id == after.id and h.accepted)
        shown = await subscription_state(notify, subscription["id"])

    assert last.verifies_with(newest) and not last.verifies_with(new)
    assert len(last.signatures) == 1  # `old` was within its grace period, and is revoked too
    assert not last.verifies_with(old)
    assert "secret" not in shown
    assert shown["previous_secret_expires_at"] is None


async def test_subscriptions_are_for_notify_admins_only_and_the_event_log_is_public(
    notify_storage: Storage,
) -> None:
    keys = scoped_keys(writer=["agency:write"], admin=["notify:admin"])
    async with notify_in_process(notify_storage, mpp_api_keys=keys) as notify:
        anonymous = await notify.client.get("/subscriptions")
        wrong_scope = await notify.client.get(
            "/subscriptions", headers={"Authorization": "Bearer writer"}
        )
        admin = await notify.client.get("/subscriptions", headers={"Authorization": "Bearer admin"})
        unknown_delivery = await notify.client.get(
            "/deliveries/dlv_nope", headers={"Authorization": "Bearer admin"}
        )
        retry_anonymously = await notify.client.post("/deliveries/dlv_nope/retry")
        log = await notify.client.get("/events")

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert wrong_scope.status_code == 403
    assert admin.status_code == 200
    assert unknown_delivery.status_code == 404
    assert retry_anonymously.status_code == 401
    assert log.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.go.id/x", "event_types": ["#"]}, "url"),
        ({"url": "https://hooks.example.go.id/x", "event_types": ["Mou.Signed"]}, "event_types.0"),
        ({"url": "https://hooks.example.go.id/x", "event_types": []}, "event_types"),
        ({"url": "https://hooks.example.go.id/x", "event_types": ["#"], "x": 1}, "x"),
    ],
)
async def test_a_subscription_with_a_bad_url_or_pattern_is_refused(
    notify_storage: Storage, body: dict[str, Any], field: str
) -> None:
    async with notify_in_process(notify_storage) as notify:
        refused = await notify.client.post("/subscriptions", json=body, headers=AUTH)

    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field


async def test_subscriptions_are_listed_changed_with_if_match_and_deleted(
    notify_storage: Storage,
) -> None:
    async with WebhookReceiver() as receiver, notify_in_process(notify_storage) as notify:
        created = await subscribe(notify, receiver, ["mou.*"], description="Dasbor")
        location = f"/subscriptions/{created['id']}"

        read = await notify.client.get(location, headers=AUTH)
        listed = await notify.client.get(
            "/subscriptions", params={"status": "active"}, headers=AUTH
        )
        stale = await notify.client.patch(
            location, json={"event_types": ["mall.#"]}, headers={**AUTH, "If-Match": "7"}
        )
        changed = await notify.client.patch(
            location,
            json={"event_types": ["mall.#"], "url": receiver.url + "/v2"},
            headers={**AUTH, "If-Match": '"1"'},
        )
        stale_delete = await notify.client.delete(location, headers={**AUTH, "If-Match": "1"})
        deleted = await notify.client.delete(location, headers={**AUTH, "If-Match": "2"})
        gone = await notify.client.get(location, headers=AUTH)

    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    assert "secret" not in read.json()
    assert read.json()["description"] == "Dasbor"
    assert [s["id"] for s in listed.json()["items"]] == [created["id"]]
    assert stale.status_code == 412
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["mall.#"]
    assert changed.json()["url"].endswith("/v2")
    assert changed.headers["etag"] == '"2"'
    assert stale_delete.status_code == 412
    assert deleted.status_code == 204
    assert gone.status_code == 404


# --- helpers ---------------------------------------------------------------------------------


async def _disabled(service: RunningService, subscription_id: str) -> dict[str, Any] | None:
    state = await subscription_state(service, subscription_id)
    return state if state["status"] == "disabled" else None


def _gap(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(seconds=1)
