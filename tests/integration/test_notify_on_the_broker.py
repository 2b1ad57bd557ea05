"""Notify beside the real agency service and the real broker: from a published event to a
verified webhook, and a subscriber that gets exactly the events it asked for.

The mou and mall events of the scenario are published as those services publish them
(catalogue-valid CloudEvents, persistent, routed by type).
"""

from __future__ import annotations

import json

import pytest

from services.agency.bootstrap import build_app as build_agency
from services.notify.container import NotifyContainer
from shared.events.envelope import CloudEvent
from shared.events.patterns import matches_any
from shared.storage import Storage
from tests.support.broker import EventTap
from tests.support.catalogue_events import mall_scenario, mou_scenario, publish
from tests.support.notify import AUTH, deliveries, running_notify, subscribe
from tests.support.servers import RunningService, run_service
from tests.support.webhooks import WebhookReceiver

pytestmark = pytest.mark.broker

SUBSCRIBED = ["mall.inaugurated", "mou.*"]


async def register(agency: RunningService, code: str, name: str, kind: str) -> dict[str, str]:
    answer = await agency.client.post(
        "/agencies", json={"code": code, "name": name, "kind": kind}, headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    return {"agency_id": created["id"], "code": created["code"], "name": created["name"]}


async def test_an_agency_registered_by_the_agency_service_arrives_as_a_verified_webhook(
    rabbitmq: str, agency_storage: Storage, notify_storage: Storage
) -> None:
    async with (
        WebhookReceiver() as receiver,
        EventTap(["agency.registered"]) as tap,
        running_notify(notify_storage) as notify,
        run_service(build_agency, storage=agency_storage) as agency,
    ):
        await subscribe(notify, receiver, ["agency.registered"], description="registry mirror")
        answer = await agency.client.post(
            "/agencies",
            json={"code": "BPOM", "name": "Badan Pengawas Obat dan Makanan", "kind": "agency"},
            headers={**AUTH, "X-Request-ID": "req-bpom-1"},
        )
        assert answer.status_code == 201, answer.text
        agency_id = answer.json()["id"]

        [hook] = await receiver.wait_for(
            lambda h: h.accepted and h.event["subject"] == agency_id, timeout=15
        )
        [on_the_wire] = await tap.wait_for(lambda r: r.event["subject"] == agency_id)

    assert hook.verified
    event = CloudEvent.model_validate(hook.event)
    assert event.type == "agency.registered"
    assert event.source == "/mpp/agency"
    assert event.correlationid == "req-bpom-1"
    assert event.data["agency_id"] == agency_id and event.data["code"] == "BPOM"
    assert hook.webhook_id == event.id == on_the_wire.message.message_id
    assert hook.event == json.loads(on_the_wire.message.body)
    assert int(hook.headers["webhook-timestamp"]) > 0


async def test_a_subscriber_of_mall_inaugurated_and_mou_events_gets_exactly_those_of_a_scenario(
    rabbitmq: str, agency_storage: Storage, notify_storage: Storage
) -> None:
    async with (
        WebhookReceiver() as subscriber,
        WebhookReceiver() as everything,
        running_notify(notify_storage) as notify,
        run_service(build_agency, storage=agency_storage) as agency,
    ):
        subscription = await subscribe(notify, subscriber, SUBSCRIBED, description="dashboard")
        await subscribe(notify, everything, ["#"], description="archive")

        panrb = await register(agency, "KEMENPANRB", "Kementerian PANRB", "ministry")
        imigrasi = await register(agency, "KEMENKUMHAM", "Kementerian Hukum dan HAM", "ministry")
        mou = mou_scenario("mou_" + panrb["agency_id"][-12:], [panrb, imigrasi])
        mall = mall_scenario("mal_" + imigrasi["agency_id"][-12:], imigrasi)
        scenario = [*mou[:3], *mall[:2], *mou[3:], *mall[2:]]  # interleaved, as in real life
        for event in scenario:
            await publish(event)

        subjects = {panrb["agency_id"], imigrasi["agency_id"], mou[0].subject, mall[0].subject}
        ours = lambda h: h.accepted and h.event["subject"] in subjects  # noqa: E731
        # The archive gets everything: once it has the last event, every fan-out is done.
        await everything.wait_for(ours, count=len(scenario) + 2, timeout=15)
        expected = [e for e in scenario if matches_any(SUBSCRIBED, e.type)]
        await subscriber.wait_for(ours, count=len(expected), timeout=15)
        stored = [
            d for d in await deliveries(notify, subscription["id"]) if d["subject"] in subjects
        ]

    received = [h for h in subscriber.received if h.event["subject"] in subjects]
    assert [h.webhook_id for h in received] == [e.id for e in expected]  # exactly, in order
    assert all(h.verified and h.accepted for h in received)
    assert [h.type for h in received] == [
        "mou.drafted",
        "mou.signing_scheduled",
        "mou.party_signed",
        "mou.party_signed",
        "mou.signed",
        "mou.team_member_added",
        "mall.inaugurated",
    ]
    assert all(matches_any(SUBSCRIBED, h.type) for h in subscriber.received)
    assert sorted(d["event_id"] for d in stored) == sorted(e.id for e in expected)
    assert all(d["status"] == "succeeded" and d["attempt_count"] == 1 for d in stored)
    archived = [h.type for h in everything.received if h.event["subject"] in subjects]
    assert archived.count("agency.registered") == 2


async def test_notifys_own_connection_reconnects_at_the_configured_pace(
    rabbitmq: str, notify_storage: Storage
) -> None:
    # aio-pika's default pause is 5 s: after a failover notify's deliveries waited that long
    # while the services' connections (BROKER_RECONNECT_SECONDS) were already back.
    async with running_notify(notify_storage, broker_reconnect_seconds=0.7) as notify:
        connection = notify.container(NotifyContainer).notify_broker.connection
        assert getattr(connection, "reconnect_interval", None) == 0.7
