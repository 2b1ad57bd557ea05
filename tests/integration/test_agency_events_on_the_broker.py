"""The agency service over real HTTP and the real RabbitMQ: what reaches ``mpp.events``."""

from __future__ import annotations

import json

import pytest

from services.agency.bootstrap import build_app
from shared.storage import Storage
from tests.support.broker import EventTap, TcpProxy
from tests.support.outbox import all_published, outbox_of
from tests.support.reference import reference_agency
from tests.support.servers import API_KEY, run_service, service_settings

pytestmark = pytest.mark.broker

KEMENPANRB = reference_agency("KEMENPANRB")
AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def test_registering_an_agency_publishes_exactly_one_agency_registered_cloudevent(
    rabbitmq: str, agency_storage: Storage
) -> None:
    async with EventTap(["agency.#"]) as tap, run_service(build_app, storage=agency_storage) as svc:
        response = await svc.client.post(
            "/agencies", json=KEMENPANRB, headers={**AUTH, "X-Request-ID": "req-123"}
        )
        assert response.status_code == 201, response.text
        agency = response.json()
        assert response.headers["x-request-id"] == "req-123"

        [received] = await tap.wait_for(lambda r: r.event.get("subject") == agency["id"])
        # Published once: the outbox holds nothing more, and the tap took all it was sent.
        assert await all_published(agency_storage, "agencies", agency["id"]) == [
            received.event["id"]
        ]
        await tap.caught_up()
        assert len([r for r in tap.received if r.event.get("subject") == agency["id"]]) == 1

    event, message = received.event, received.message
    assert event["specversion"] == "1.0"
    assert event["type"] == "agency.registered"
    assert event["source"] == "/mpp/agency"
    assert event["subject"] == agency["id"]
    assert event["datacontenttype"] == "application/json"
    assert event["correlationid"] == "req-123"
    assert event["time"].endswith("Z")
    assert event["data"]["agency_id"] == agency["id"]
    assert event["data"]["version"] == 1
    assert event["data"]["code"] == "KEMENPANRB"
    assert event["data"]["kind"] == "ministry"

    assert message.routing_key == "agency.registered"
    assert message.exchange == "mpp.events"
    assert message.message_id == event["id"]
    assert message.correlation_id == "req-123"
    assert message.content_type == "application/cloudevents+json"
    assert message.delivery_mode == 2  # persistent
    assert json.loads(message.body) == event


async def test_events_written_while_the_broker_is_unreachable_are_published_in_order_later(
    rabbitmq: str,
    broker_proxy: TcpProxy,
    agency_storage: Storage,
) -> None:
    settings = service_settings(rabbitmq_url=broker_proxy.url)
    async with (
        EventTap(["agency.#"]) as tap,
        run_service(build_app, settings, agency_storage) as svc,
    ):
        await broker_proxy.cut()
        created = await svc.client.post(
            "/agencies", json={**KEMENPANRB, "code": "KEMENKEU"}, headers=AUTH
        )
        assert created.status_code == 201, created.text
        agency_id = created.json()["id"]
        for code in ("PAJAK", "NPWP", "SPT"):
            added = await svc.client.post(
                f"/agencies/{agency_id}/services", json={"code": code, "name": code}, headers=AUTH
            )
            assert added.status_code == 201, added.text

        ready = await svc.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"] == "unreachable"
        outbox = await outbox_of(agency_storage, "agencies", agency_id)
        assert (len(outbox["pending"]), outbox["published"]) == (4, [])
        await tap.caught_up()
        assert [r for r in tap.received if r.event["subject"] == agency_id] == []

        await broker_proxy.restore()
        events = await tap.wait_for(lambda r: r.event["subject"] == agency_id, count=4, timeout=30)
        assert [e.event["data"]["version"] for e in events] == [1, 2, 3, 4]
        assert [e.type for e in events] == ["agency.registered"] + ["agency.service_added"] * 3
        assert (await svc.client.get("/readyz")).status_code == 200


async def test_two_replicas_sharing_a_database_publish_each_agencys_events_in_order(
    rabbitmq: str, agency_storage: Storage
) -> None:
    async with (
        EventTap(["agency.#"]) as tap,
        run_service(build_app, storage=agency_storage) as first,
        run_service(build_app, storage=agency_storage) as second,
    ):
        created = await first.client.post(
            "/agencies", json={**KEMENPANRB, "code": "BPJSTK"}, headers=AUTH
        )
        agency_id = created.json()["id"]
        replicas = [first, second]
        for i in range(40):
            replica = replicas[i % 2]  # writes alternate between the replicas
            added = await replica.client.post(
                f"/agencies/{agency_id}/services",
                json={"code": f"S{i}", "name": f"Service {i}"},
                headers=AUTH,
            )
            assert added.status_code == 201, added.text
        events = await tap.wait_for(lambda r: r.event["subject"] == agency_id, count=41, timeout=30)
        await all_published(agency_storage, "agencies", agency_id)
        await tap.caught_up()

    versions = [e.event["data"]["version"] for e in tap.received if e.event["subject"] == agency_id]
    assert versions == list(range(1, 42)), "each version once, in order, across both relays"
    assert len(events) == 41
