"""Forged events, on the real RabbitMQ with the identities ``shared.messaging.provision``
creates: the broker refuses what an identity may not publish, and consumers dead-letter
what slips through (a type published by someone other than its owner, a wrong source)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed
from faststream.rabbit import RabbitBroker

from services.mall.bootstrap import build_app as build_mall_app
from services.mall.container import MallContainer
from services.notify.topology import SUBSCRIPTIONS_DLQ
from shared.events.catalogue import EVENT_TYPES
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.messaging.consumer import EventConsumer
from shared.messaging.identity import EVENTS_UNTRUSTED, configure_identities
from shared.messaging.provision import provision
from shared.messaging.topology import EVENTS_EXCHANGE_NAME, ConsumerQueue, declare_consumer_queue
from shared.storage import Storage, connect
from tests.security.conftest import MANAGEMENT_URL, Provisioned
from tests.support.broker import get_one
from tests.support.eventually import eventually
from tests.support.mou_events import Party, agency_registered, mou_signed
from tests.support.notify import AUTH, deliveries, running_notify, subscribe
from tests.support.projections import known_to
from tests.support.reference import reference_agency
from tests.support.reference_malls import SANGGAU
from tests.support.servers import run_service, service_settings, until_answered
from tests.support.vhost import BASE_RABBITMQ_URL
from tests.support.webhooks import WebhookReceiver

pytestmark = [pytest.mark.security, pytest.mark.broker]

SERVICES = ("agency", "mou", "mall")


async def publish_as(
    url: str, event: CloudEvent, *, routing_key: str | None = None, user_id: str | None = None
) -> None:
    """Publish ``event`` on ``mpp.events`` connected as ``url``'s user, with confirms."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE_NAME, ensure=True)
        await exchange.publish(
            aio_pika.Message(
                event.to_json_bytes(),
                content_type=CONTENT_TYPE,
                message_id=event.id,
                user_id=user_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key or event.type,
        )


def _event(event_type: str, source: str | None = None) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        source=source or f"/mpp/{event_type.split('.')[0]}",
        subject=f"forged-{uuid.uuid4().hex[:8]}",
        data={"version": 1},
        correlation_id="forgery",
    )


def _signed(source: str | None = None) -> CloudEvent:
    """A valid ``mou.signed`` (so only its publisher can be wrong with it)."""
    event = mou_signed(
        f"mou_{uuid.uuid4().hex[:6]}", [_party("KEMENPANRB"), _party("BNN")], version=1
    )
    return event.model_copy(update={"source": source}) if source else event


@pytest.fixture(scope="module")
def exchange_declared(provisioned: Provisioned) -> Provisioned:
    async def declare() -> None:
        connection = await aio_pika.connect(provisioned.url("agency"))
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(
                EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
            )

    asyncio.run(declare())
    return provisioned


@pytest.fixture
def enforced(provisioned: Provisioned) -> Iterator[None]:
    configure_identities(provisioned.identities)
    yield
    configure_identities(None)


def test_provisioning_twice_gives_the_same_identities_with_fresh_passwords(
    provisioned: Provisioned,
) -> None:
    again = provision(
        BASE_RABBITMQ_URL,
        provisioned.vhost,
        prefix=provisioned.prefix,
        management_url=MANAGEMENT_URL,
    )
    assert set(again) == set(provisioned.lines)
    assert again["MPP_BROKER_IDENTITIES"] == provisioned.identities
    assert provisioned.identities == ",".join(
        f"{s}={provisioned.prefix}{s}" for s in ("agency", "mou", "mall", "notify")
    )
    # the fixture's URLs must keep working: put them back
    provisioned.lines.update(again)


@pytest.mark.parametrize("publisher", SERVICES)
@pytest.mark.parametrize("owner", SERVICES)
async def test_a_service_may_publish_only_its_own_event_types(
    exchange_declared: Provisioned, publisher: str, owner: str
) -> None:
    provisioned = exchange_declared
    for event_type in (t for t in EVENT_TYPES if t.startswith(owner + ".")):
        url, user = provisioned.url(publisher), provisioned.user(publisher)
        if publisher == owner:
            await publish_as(url, _event(event_type), user_id=user)
        else:
            with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
                await publish_as(url, _event(event_type), user_id=user)


@pytest.mark.parametrize("role", ["notify", "subscriber"])
async def test_notify_and_the_subscriber_cannot_publish_any_event(
    exchange_declared: Provisioned, role: str
) -> None:
    for event_type in EVENT_TYPES:
        with pytest.raises(ChannelAccessRefused):
            await publish_as(exchange_declared.url(role), _event(event_type))


async def test_a_service_cannot_claim_another_identity_in_user_id(
    exchange_declared: Provisioned,
) -> None:
    with pytest.raises(ChannelPreconditionFailed, match="user_id"):
        await publish_as(
            exchange_declared.url("mall"),
            _event("mall.planned"),
            user_id=exchange_declared.user("mou"),
        )


async def test_the_subscriber_declares_binds_and_consumes_only_under_its_own_prefix(
    exchange_declared: Provisioned,
) -> None:
    connection = await aio_pika.connect(exchange_declared.url("subscriber"))
    async with connection:
        channel = await connection.channel()
        mine = await channel.declare_queue("subscriber.audit", durable=True)
        events = await channel.get_exchange(EVENTS_EXCHANGE_NAME, ensure=True)
        await mine.bind(events, routing_key="#")
        await mine.delete()
        for name in ("mall.mous", "notify.events", "audit"):
            other = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await other.declare_queue(name, durable=True)
        with pytest.raises(ChannelAccessRefused):
            await (await connection.channel()).declare_exchange(
                EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
            )


def _untrusted_total() -> float:
    return sum(
        sample.value
        for metric in EVENTS_UNTRUSTED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_a_consumer_dead_letters_events_not_published_by_their_owner(
    exchange_declared: Provisioned, enforced: None
) -> None:
    provisioned = exchange_declared
    handled: list[CloudEvent] = []

    async def record(event: CloudEvent) -> None:
        handled.append(event)

    queue = ConsumerQueue("notify.forgery_check", ("#",))
    storage = connect(None, f"forgery_{uuid.uuid4().hex[:6]}")
    consumer = EventConsumer(service="notify", queue=queue, db=storage.db, handlers={"#": record})
    broker = RabbitBroker(provisioned.url("notify"))
    consumer.subscribe(broker)
    await broker.connect()
    await declare_consumer_queue(broker, queue, consumer.channel)
    await broker.start()
    before = _untrusted_total()
    try:
        genuine = _signed()
        forged = {
            "published by mall under its own routing key": (
                provisioned.url("mall"),
                _signed(),
                "mall.planned",
                "mall",
            ),
            "a wrong source from the owner": (
                provisioned.url("mou"),
                _signed("/attacker/x"),
                None,
                "mou",
            ),
            "shared credentials, no user_id": (provisioned.admin_url, _signed(), None, None),
        }
        for url, event, routing_key, role in forged.values():
            user = provisioned.user(role) if role else None
            await publish_as(url, event, routing_key=routing_key, user_id=user)
        await publish_as(provisioned.url("mou"), genuine, user_id=provisioned.user("mou"))

        await eventually(lambda: handled, timeout=15)
        forged_ids = {event.id for _, event, _, _ in forged.values()}
        dead: set[str] = set()
        while dead != forged_ids:
            body = await get_one(
                queue.dead_letter_name,
                lambda b: json.loads(b)["id"] in forged_ids - dead,
                url=provisioned.admin_url,
                timeout=15,
            )
            dead.add(json.loads(body)["id"])
        # Every forgery is dead-lettered, so none can still be handled; each was counted.
        assert [e.id for e in handled] == [genuine.id]
        await eventually(lambda: _untrusted_total() - before, until=lambda n: n >= len(forged))
        assert _untrusted_total() - before == len(forged)
    finally:
        await broker.stop()


@pytest.fixture
async def mall_with_identities(
    exchange_declared: Provisioned, mall_storage: Storage
) -> AsyncIterator[Any]:
    settings = service_settings(
        rabbitmq_url=exchange_declared.url("mall"),
        mpp_broker_identities=exchange_declared.identities,
    )
    async with run_service(build_mall_app, settings, mall_storage) as mall:
        yield mall
    configure_identities(None)


def _party(code: str) -> Party:
    body: dict[str, Any] = (
        reference_agency(code)
        if code != "BNN"
        else {"name": "BNN", "kind": "agency", "services": []}
    )
    return Party.of({**body, "id": f"agc_{code.lower()}_{uuid.uuid4().hex[:6]}", "code": code})


async def test_a_forged_mou_signed_cannot_open_a_counter_in_the_mall_service(
    exchange_declared: Provisioned, mall_with_identities: Any
) -> None:
    provisioned, mall = exchange_declared, mall_with_identities
    parties = [_party("KEMENPANRB"), _party("KEMENKUMHAM")]
    for party in parties:
        await publish_as(
            provisioned.url("agency"), agency_registered(party), user_id=provisioned.user("agency")
        )
    directory = mall.container(MallContainer).agency_directory
    await known_to(directory, [p.agency_id for p in parties], timeout=15)
    created = await mall.client.post("/malls", json=SANGGAU.create_body(), headers=mall.headers)
    assert created.status_code == 201, created.text
    mall_id = created.json()["id"]
    kumham = parties[1]
    counter = {"agency_id": kumham.agency_id, "services": [kumham.services[0].code]}

    forged = mou_signed("mou_forged", parties, version=1)
    await publish_as(provisioned.admin_url, forged)  # shared credentials, claims nothing
    await get_one(
        "mall.mous.dlq",
        lambda b: json.loads(b)["id"] == forged.id,
        url=provisioned.admin_url,
        timeout=15,
    )
    refused = await mall.client.post(
        f"/malls/{mall_id}/counters", json=counter, headers=mall.headers
    )
    assert refused.status_code == 409, refused.text

    genuine = mou_signed("mou_genuine", parties, version=1)
    await publish_as(provisioned.url("mou"), genuine, user_id=provisioned.user("mou"))
    await until_answered(
        lambda: mall.client.post(f"/malls/{mall_id}/counters", json=counter, headers=mall.headers),
        timeout=15,
        every=0.1,
    )


async def test_a_forged_mou_signed_never_reaches_a_webhook_nor_notifys_log(
    exchange_declared: Provisioned, notify_storage: Storage
) -> None:
    provisioned = exchange_declared
    genuine = _signed()
    by_admin = _signed()  # shared credentials, claims no identity: routed to the subscription
    by_mall = _signed()  # the mall's identity under its own key: reaches only the log stream
    forged_ids = {by_admin.id, by_mall.id}
    async with (
        WebhookReceiver() as receiver,
        running_notify(
            notify_storage,
            fresh_queue=False,  # the module's own vhost: nothing earlier to clear
            rabbitmq_url=provisioned.url("notify"),
            mpp_broker_identities=provisioned.identities,
            webhook_retry_schedule="0,0.3",
        ) as notify,
    ):
        subscription = await subscribe(notify, receiver, ["mou.*"])
        # The genuine event fails once: its retry is notify's own copy (through a delay tier),
        # which must still be believed as the mou service's.
        receiver.reply_with(500, to=lambda event: event["id"] == genuine.id)
        await publish_as(provisioned.admin_url, by_admin)
        await publish_as(
            provisioned.url("mall"),
            by_mall,
            routing_key="mall.planned",
            user_id=provisioned.user("mall"),
        )
        await publish_as(provisioned.url("mou"), genuine, user_id=provisioned.user("mou"))

        await receiver.wait_for(lambda h: h.accepted and h.event["id"] == genuine.id, timeout=20)
        dead = await get_one(
            SUBSCRIPTIONS_DLQ,
            lambda b: json.loads(b)["id"] == by_admin.id,
            url=provisioned.admin_url,
            timeout=15,
        )
        assert json.loads(dead)["id"] == by_admin.id
        # The forged events were published before the genuine one, which is delivered: the
        # subscription's deliveries go in order, so nothing forged is still on its way.
        logged = await notify.client.get("/events", params={"limit": 100}, headers=AUTH)
        assert logged.status_code == 200, logged.text
        listed = {item["event"]["id"] for item in logged.json()["items"]}
        attempts = await deliveries(notify, subscription["id"])
    configure_identities(None)
    assert {h.event["id"] for h in receiver.received} == {genuine.id}
    assert genuine.id in listed and not listed & forged_ids
    assert {d["event_id"] for d in attempts} == {genuine.id}
