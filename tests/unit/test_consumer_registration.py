"""Consumers are registered in one shape, on queues named once in the topology."""

from __future__ import annotations

from services.mall.bootstrap import bootstrap as bootstrap_mall
from services.mou.bootstrap import bootstrap as bootstrap_mou
from shared.messaging.topology import CONSUMER_QUEUES
from shared.settings import ServiceSettings


def test_every_consumer_queue_of_the_services_is_one_the_topology_names() -> None:
    settings = ServiceSettings(consumer_delivery_limit=7)
    consumed: dict[str, tuple[int, str]] = {}
    for bootstrap in (bootstrap_mou, bootstrap_mall):
        runtime = bootstrap(settings).runtime
        for consumer in runtime.consumers:
            consumed[consumer.queue.name] = (consumer.queue.delivery_limit, runtime.name)
    assert sorted(consumed) == sorted(CONSUMER_QUEUES)
    assert {name: owner for name, (_, owner) in consumed.items()} == {
        "mou.agencies": "mou",
        "mall.agencies": "mall",
        "mall.mous": "mall",
    }
    assert {limit for limit, _ in consumed.values()} == {7}
