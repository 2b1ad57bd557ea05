"""Fixtures every test layer shares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.logging import configure_logging
from shared.storage import Storage
from tests.support.broker import TcpProxy
from tests.support.servers import RABBITMQ_URL, drop_storage, fresh_storage
from tests.support.vhost import broker_reachable

configure_logging("tests", level="INFO", fmt="console")


BROKER_FIXTURES = frozenset({"rabbitmq", "broker_proxy"})
"""Fixtures that need the real RabbitMQ: a test using one (directly or through another fixture)
is marked ``broker`` whether or not its module says so, so ``-m "not broker"`` runs with no
broker at all."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROKER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.broker)


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    """The real broker's URL; the suite fails loudly (not skips) when it is down."""
    if not broker_reachable(RABBITMQ_URL):
        pytest.fail(
            f"RabbitMQ is not reachable at {RABBITMQ_URL}: start it (rabbitmq-server -detached)"
        )
    return RABBITMQ_URL


@pytest.fixture
async def broker_proxy(rabbitmq: str) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy()
    await proxy.start()
    yield proxy
    await proxy.cut()
    await asyncio.sleep(0)


def make_storage_fixture(service: str) -> Any:
    @pytest.fixture
    async def storage() -> AsyncIterator[Storage]:
        store = fresh_storage(service)
        yield store
        await drop_storage(store)

    return storage


agency_storage = make_storage_fixture("agency")
mou_storage = make_storage_fixture("mou")
mall_storage = make_storage_fixture("mall")
notify_storage = make_storage_fixture("notify")
