"""Consumers are registered in one shape, on queues named once in the topology."""

from __future__ import annotations

from fastapi import FastAPI

from services.mall.bootstrap import build_app as build_mall_app
from services.mou.bootstrap import build_app as build_mou_app
from shared.messaging.topology import CONSUMER_QUEUES
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


def _runtime(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


def test_every_consumer_queue_of_the_services_is_one_the_topology_names() -> None:
    settings = ServiceSettings(consumer_delivery_limit=7)
    consumed: dict[str, tuple[int, str]] = {}
    for build in (build_mou_app, build_mall_app):
        runtime = _runtime(build(settings))
        for consumer in runtime.consumers:
            consumed[consumer.queue.name] = (consumer.queue.delivery_limit, runtime.name)
    assert sorted(consumed) == sorted(CONSUMER_QUEUES)
    assert {name: owner for name, (_, owner) in consumed.items()} == {
        "mou.agencies": "mou",
        "mall.agencies": "mall",
        "mall.mous": "mall",
    }
    assert {limit for limit, _ in consumed.values()} == {7}
