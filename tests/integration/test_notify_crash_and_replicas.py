"""Notify crashing mid-delivery, and several replicas sharing the subscriptions.

The crash is abrupt: notify reaches RabbitMQ through a TCP proxy that is cut while
deliveries are in flight, so no ack, no nack and no graceful close reaches the broker (what
a SIGKILL looks like from the broker's side). A new notify over the same store (the same
in-process store object) must then deliver everything that was pending.
"""

from __future__ import annotations

from collections import Counter

import pytest

from services.notify.container import NotifyContainer
from shared.storage import Storage
from tests.support.broker import TcpProxy
from tests.support.catalogue_events import agency_registered, publish
from tests.support.eventually import eventually
from tests.support.notify import caught_up, running_notify, subscribe
from tests.support.webhooks import Reply, WebhookReceiver

pytestmark = pytest.mark.broker


async def test_a_notify_killed_mid_delivery_loses_no_pending_delivery_after_a_restart(
    rabbitmq: str, notify_storage: Storage, broker_proxy: TcpProxy
) -> None:
    events = [agency_registered() for _ in range(12)]
    ids = [e.id for e in events]
    async with WebhookReceiver(default=Reply(204, delay=0.25)) as receiver:
        async with running_notify(notify_storage, rabbitmq_url=broker_proxy.url) as notify:
            subscription = await subscribe(notify, receiver, ["agency.registered"])
            for event in events:
                await publish(event)
            await receiver.wait_for(lambda h: h.webhook_id in ids, count=3, timeout=15)
            await broker_proxy.cut()  # the broker sees the connection die: a kill
            before_restart = len([h for h in receiver.received if h.webhook_id in ids])
        # Whatever the dead replica still had in flight lands first.
        await eventually(lambda: receiver.answering, until=lambda n: n == 0)

        async with running_notify(notify_storage, fresh_queue=False) as restarted:
            await receiver.wait_for(
                lambda h: h.webhook_id in ids and h.accepted, count=len(ids), timeout=30
            )
            await caught_up(restarted, receiver, subscription["id"], agency_registered())
            assert restarted.container(NotifyContainer).workers.consuming()

    accepted = Counter(h.webhook_id for h in receiver.accepted if h.webhook_id in ids)
    assert set(accepted) == set(ids)  # nothing lost
    assert before_restart < len(ids)  # the kill really came with deliveries pending
    resent = sum(count - 1 for count in accepted.values())
    assert resent <= 2  # only what was in flight at the kill (max_in_flight 1) came twice
    first_arrivals = list(dict.fromkeys(h.webhook_id for h in receiver.received))
    assert [i for i in first_arrivals if i in ids] == ids  # still in publishing order


async def test_two_replicas_share_a_subscription_and_deliver_each_event_once_in_order(
    rabbitmq: str, notify_storage: Storage
) -> None:
    events = [agency_registered() for _ in range(10)]
    ids = [e.id for e in events]
    async with (
        WebhookReceiver() as receiver,
        running_notify(notify_storage) as first,
        running_notify(notify_storage, fresh_queue=False) as second,
    ):
        subscription = await subscribe(first, receiver, ["agency.registered"])
        # The second replica hears of the new subscription on notify.control.
        await eventually(
            lambda: subscription["id"] in second.container(NotifyContainer).workers.consuming()
        )
        for event in events:
            await publish(event)
        await receiver.wait_for(lambda h: h.webhook_id in ids and h.accepted, count=len(ids))
        await caught_up(first, receiver, subscription["id"], agency_registered())

    assert [h.webhook_id for h in receiver.received if h.webhook_id in ids] == ids
