"""The suite runs in a vhost of its own, so a live system on the same broker is untouched."""

from __future__ import annotations

import aio_pika
import pytest

from tests.support.broker import SERVICE_QUEUES, delete_queues, publish_raw
from tests.support.servers import RABBITMQ_URL
from tests.support.vhost import (
    BASE_RABBITMQ_URL,
    create_vhost,
    delete_vhost,
    new_run_vhost_name,
    vhost_of,
)

pytestmark = pytest.mark.broker


def test_the_run_uses_a_vhost_of_its_own_and_never_the_default_one(rabbitmq: str) -> None:
    assert vhost_of(RABBITMQ_URL).startswith("mpp-test-")
    assert vhost_of(RABBITMQ_URL) != vhost_of(BASE_RABBITMQ_URL)


async def test_the_suites_clean_up_leaves_a_live_systems_queues_and_dead_letters_alone(
    rabbitmq: str,
) -> None:
    live_name = new_run_vhost_name().replace("mpp-test-", "mpp-live-")
    live_url = create_vhost(live_name)
    try:
        connection = await aio_pika.connect(live_url)
        async with connection:
            channel = await connection.channel()
            for name in SERVICE_QUEUES:
                for queue in (name, f"{name}.dlq"):
                    declared = await channel.declare_queue(queue, durable=True)
                    await channel.default_exchange.publish(
                        aio_pika.Message(b"live message"), routing_key=declared.name
                    )

            # What the suite does to "its" queues: delete them, publish poison onto the exchange.
            await delete_queues(SERVICE_QUEUES)
            await publish_raw(b"not json", "agency.registered")

            for name in SERVICE_QUEUES:
                for queue in (name, f"{name}.dlq"):
                    live = await channel.declare_queue(queue, durable=True, passive=True)
                    assert live.declaration_result.message_count == 1, queue
    finally:
        delete_vhost(live_name)
