"""A three-node RabbitMQ cluster of the test's own; the node leading the quorum queues dies.

All four services run as processes with ``RABBITMQ_URL`` listing the three nodes. Mid-stream
the node that leads most of the services' quorum queues is SIGKILLed: the services fail over
to the next node, the queues elect new leaders, and every event still reaches the subscriber
exactly once. The cluster is stopped and removed at the end whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from pathlib import Path

import aio_pika
import httpx
import pytest
from aio_pika.exceptions import DeliveryError

from benchmarks.faults.report import table
from benchmarks.faults.rig import Pipeline, pipeline
from services.notify.topology import SUBSCRIPTIONS_DLQ
from shared.messaging.connection import failover_broker
from shared.messaging.publisher import EventPublisher
from shared.messaging.topology import EVENTS_EXCHANGE_NAME
from tests.faults.expectations import recovered_in_time
from tests.support import rabbit_nodes
from tests.support.catalogue_events import agency_registered
from tests.support.eventually import eventually
from tests.support.rabbit_nodes import RabbitCluster, RabbitNode

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.broker,  # RabbitMQ of its own: not part of the layer that runs without one
    pytest.mark.skipif(rabbit_nodes.available() is not None, reason=str(rabbit_nodes.available())),
]

SERVICE_QUEUES = {"mou.agencies": "mou.agencies.dlq", "mall.agencies": "mall.agencies.dlq"}
"""The services' quorum queues and their dead-letter queues (notify's is per subscription)."""


def _quorum_queues(pipe: Pipeline) -> dict[str, str]:
    return {**SERVICE_QUEUES, pipe.subscription_queue: SUBSCRIPTIONS_DLQ}


READY_WITHIN = 30.0


def _queues(node: RabbitNode) -> list[dict[str, object]]:
    output = node.ctl("list_queues", "name", "leader", "messages", "--formatter", "json")
    parsed: list[dict[str, object]] = json.loads(output)
    return parsed


def _leading_node(cluster: RabbitCluster, queues: dict[str, str]) -> RabbitNode:
    leaders = Counter(str(q["leader"]) for q in _queues(cluster.nodes[0]) if q["name"] in queues)
    name = leaders.most_common(1)[0][0]
    return next(node for node in cluster.nodes if node.name == name)


async def _seconds_until_all_ready(pipe: Pipeline, since: float) -> float:
    pending = {s.name: s.url for s in pipe.services}

    async def still_pending(client: httpx.AsyncClient) -> dict[str, str]:
        for name, url in list(pending.items()):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    del pending[name]
        return pending

    async with httpx.AsyncClient(timeout=2) as client:
        await eventually(
            lambda: still_pending(client),
            until=lambda left: not left,
            timeout=60 - (time.monotonic() - since),
            every=0.2,
            what="every service ready 60 s after the kill",
        )
    return time.monotonic() - since


async def _drained(
    node: RabbitNode, queues: dict[str, str], timeout: float = 30
) -> dict[object, object]:
    """The queues' depths once the consumers have emptied them (or after ``timeout``)."""

    async def depths() -> dict[object, object]:
        return {q["name"]: q["messages"] for q in await asyncio.to_thread(_queues, node)}

    try:
        return await eventually(
            depths,
            until=lambda found: all(found.get(q) == 0 for q in queues),
            timeout=timeout,
            every=1,
        )
    except AssertionError:
        return await depths()


async def test_killing_the_node_leading_the_quorum_queues_loses_nothing_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    with RabbitCluster.started(size=3) as cluster:
        urls = ",".join(cluster.urls)
        # A generous webhook timeout: a retry after a slow answer is a duplicate by contract
        # (at least once), and this test is about the broker, not a slow receiver.
        slow_ok = {"WEBHOOK_TIMEOUT_SECONDS": "10"}
        async with pipeline(urls, tmp_path, notify_env=slow_ok, others=("mou", "mall")) as pipe:
            await pipe.stream(15)
            queues = _quorum_queues(pipe)
            leader = await asyncio.to_thread(_leading_node, cluster, queues)
            await asyncio.to_thread(leader.kill)
            killed = time.monotonic()
            await asyncio.sleep(0.5)  # let every service notice before readiness is polled
            ready, recover = await asyncio.gather(
                _seconds_until_all_ready(pipe, killed), pipe.probe(killed)
            )
            await pipe.stream(15)
            await pipe.settle()
            result = pipe.result(
                f"quorum leader {leader.name.split('@')[0]} SIGKILLed (3-node cluster)",
                recover,
                f"all four services ready {ready:.1f} s after the kill",
            )
            print("\n" + table([result]))

            survivor = next(node for node in cluster.nodes if node is not leader)
            depths = await _drained(survivor, queues)

    assert result.lost == 0, result
    assert result.duplicated == 0, result
    assert ready < READY_WITHIN, result
    assert result.recover_seconds is not None, result
    for queue, dlq in queues.items():
        assert depths[queue] == 0, f"{queue} still holds {depths[queue]}: {depths}"
        assert depths[dlq] == 0, f"{dlq}: {depths}"
    recovered_in_time(READY_WITHIN, result)


async def _quorum_queue_bound_to_events(url: str, name: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        events = await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(events, routing_key="agency.#")


async def _messages_in(url: str, name: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def test_a_publish_nacked_by_a_leaderless_quorum_queue_goes_through_on_retry() -> None:
    """The defect behind a rare loss in the test above, made deterministic.

    RabbitMQ nacks every publish a channel makes to a quorum queue for the channel's whole life
    once its first one found the queue without a leader. A service that fails over at once
    when the leader's node dies publishes exactly then, so its outbox retried on that channel
    for ever. The publisher renews its channel after a nack; the retry goes through.
    """
    with RabbitCluster.started(size=3) as cluster:
        await _quorum_queue_bound_to_events(cluster.urls[0], "failover.agencies")  # led by node 1
        broker, _ = failover_broker(cluster.urls[1:])
        await broker.connect()
        publisher = EventPublisher(broker, service="agency")
        try:
            await asyncio.to_thread(cluster.nodes[0].kill)
            nacked, deadline = 0, time.monotonic() + 20
            while True:  # publish at once, as the outbox does, then retry as it does
                try:
                    await publisher.publish(agency_registered())
                    break
                except DeliveryError:
                    nacked += 1
                    assert time.monotonic() < deadline, f"still nacked after {nacked} attempts"
                    await asyncio.sleep(0.5)
        finally:
            await broker.stop()
        held = await _messages_in(cluster.urls[1], "failover.agencies")
    print(f"\nnacked {nacked} time(s) before the publish went through")
    assert held == 1
