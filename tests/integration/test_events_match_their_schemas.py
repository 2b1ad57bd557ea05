"""Every event the programme publishes matches its JSON Schema, its service's AsyncAPI and
the webhook notify's OpenAPI document describes.

An ``EventTap`` records what really crosses the broker while the four services run the story;
each event is then validated (jsonschema, draft 2020-12) against ``shared.events.schema`` and
against the payload and message properties of its channel in the publisher's /asyncapi.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from shared.events.schema import event_schema
from shared.storage import Storage
from tests.support.broker import EventTap, Received
from tests.support.outbox import all_seen
from tests.support.scenario import run_the_programme, running_platform

pytestmark = pytest.mark.broker


def _asyncapi_validator(spec: dict[str, Any], event_type: str) -> Draft202012Validator:
    channel = spec["channels"][event_type]
    message_ref = next(iter(channel["messages"].values()))["$ref"]
    message = spec["components"]["messages"][message_ref.rsplit("/", 1)[-1]]
    schema = {**message["payload"], "components": spec["components"]}
    return Draft202012Validator(schema)


def _check_properties(spec: dict[str, Any], received: Received) -> None:
    """The AMQP message is what the channel and operation bindings say."""
    event_type = received.type
    message = received.message
    operation = spec["operations"][event_type]["bindings"]["amqp"]
    assert message.routing_key == event_type
    assert message.content_type == spec["defaultContentType"] == "application/cloudevents+json"
    assert message.delivery_mode is not None
    assert int(message.delivery_mode) == operation["deliveryMode"] == 2
    assert operation["mandatory"] is False
    assert message.message_id == received.event["id"]
    exchange = spec["channels"][event_type]["bindings"]["amqp"]["exchange"]
    assert exchange["name"] == message.exchange
    assert not exchange["vhost"].startswith("/") or exchange["vhost"] == "/"


async def test_every_event_the_programme_publishes_matches_its_schemas(
    rabbitmq: str,
    agency_storage: Storage,
    mou_storage: Storage,
    mall_storage: Storage,
    notify_storage: Storage,
) -> None:
    storages = {
        "agency": agency_storage,
        "mou": mou_storage,
        "mall": mall_storage,
        "notify": notify_storage,
    }
    async with running_platform(storages) as platform, EventTap() as tap:
        ids = await run_the_programme(platform)
        await tap.wait_for(lambda r: r.event.get("subject") == ids["mall"]
                           and r.type == "mall.inaugurated", timeout=30)  # fmt: skip
        # Every event of the story is published and taken: none can arrive after the checks.
        await all_seen(tap, agency_storage, "agencies", ids["panrb"], ids["kumham"])
        await all_seen(tap, mou_storage, "mous", ids["mou"])
        await all_seen(tap, mall_storage, "malls", ids["mall"])
        specs = {
            name: (await service.client.get("/asyncapi.json")).json()
            for name, service in (("agency", platform.agency), ("mou", platform.mou),
                                  ("mall", platform.mall))
        }  # fmt: skip
        notify_openapi = (await platform.notify.client.get("/openapi.json")).json()

    webhook = notify_openapi["webhooks"]["mpp-event"]["post"]["requestBody"]["content"]
    webhook_validator = Draft202012Validator(
        {**webhook["application/cloudevents+json"]["schema"],
         "components": notify_openapi["components"]}
    )  # fmt: skip
    ours = [r for r in tap.received if r.event.get("subject") in ids.values()]
    types = {r.type for r in ours}
    assert {"agency.registered", "mou.drafted", "mou.party_signed", "mou.signed"} <= types
    assert {"mall.planned", "mall.opened", "mall.counter_opened", "mall.inaugurated"} <= types
    for received in ours:
        event_type = received.type
        Draft202012Validator(event_schema(event_type)).validate(received.event)
        spec = specs[event_type.split(".", 1)[0]]
        _asyncapi_validator(spec, event_type).validate(received.event)
        _check_properties(spec, received)
        webhook_validator.validate(received.event)


async def test_a_channel_payload_refuses_another_types_event_and_a_missing_specversion(
    rabbitmq: str, agency_storage: Storage
) -> None:
    from services.agency.bootstrap import build_app
    from tests.support.servers import run_service

    async with run_service(build_app, storage=agency_storage) as agency:
        spec = (await agency.client.get("/asyncapi.json")).json()
    validator = _asyncapi_validator(spec, "agency.registered")
    event = {
        "specversion": "1.0",
        "id": "e1",
        "type": "agency.registered",
        "source": "/mpp/agency",
        "subject": "agc_1",
        "time": "2022-06-28T03:00:00Z",
        "datacontenttype": "application/json",
        "correlationid": "c1",
        "data": {"version": 1, "agency_id": "agc_1", "code": "BNN", "name": "BNN",
                 "kind": "agency", "services": [], "status": "active"},
    }  # fmt: skip
    errors = list(validator.iter_errors(event))
    assert not errors, [e.message for e in errors]
    assert not validator.is_valid({**event, "type": "mou.signed"})
    assert not validator.is_valid({k: v for k, v in event.items() if k != "specversion"})
    assert (
        spec["channels"]["agency.registered"]["bindings"]["amqp"]["exchange"]["vhost"]
        == (rabbitmq.rsplit("/", 1)[-1])
    )
