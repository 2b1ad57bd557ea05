"""Idempotent, poison-safe consumption over the real RabbitMQ (shared.messaging.consumer)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import ConsumerQueue
from shared.runtime import ServiceRuntime
from shared.storage import Storage
from tests.support.broker import delete_queues, get_one, publish_raw
from tests.support.servers import drop_storage, fresh_storage, service_settings

pytestmark = pytest.mark.broker


RUN = uuid.uuid4().hex[:6]


def _deactivated(name: str) -> CloudEvent:
    agency_id = f"{name}_{RUN}"
    return CloudEvent.new(
        type="agency.deactivated",
        source="/mpp/agency",
        subject=agency_id,
        data={"agency_id": agency_id, "version": 2, "code": "BNN", "name": "BNN"},
        correlation_id=f"corr-{agency_id}",
    )


@asynccontextmanager
async def consuming(
    handler_log: list[str],
    fail_on: set[str] | None = None,
    handling_seconds: float = 0.0,
    overlaps: list[int] | None = None,
) -> AsyncIterator[ConsumerQueue]:
    """A runtime with one consumer on a fresh queue bound to agency.#; yields its queue.

    ``handling_seconds`` makes each handling take that long; ``overlaps`` records how many
    handlings were under way as each one began.
    """
    queue = ConsumerQueue(f"test.consumer_{uuid.uuid4().hex[:8]}", ("agency.#",), delivery_limit=2)
    storage: Storage = fresh_storage("consumer")
    runtime = ServiceRuntime.create("test", service_settings(), storage)
    under_way = 0

    async def handle(event: CloudEvent) -> None:
        nonlocal under_way
        under_way += 1
        try:
            if overlaps is not None:
                overlaps.append(under_way)
            await asyncio.sleep(handling_seconds)
        finally:
            under_way -= 1
        if fail_on and event.subject.removesuffix(f"_{RUN}") in fail_on:
            raise RuntimeError("this handler always fails for this subject")
        if event.subject.endswith(RUN):  # the broker may be shared with other test runs
            handler_log.append(event.subject.removesuffix(f"_{RUN}"))

    runtime.add_consumer(
        EventConsumer(
            service="test",
            queue=queue,
            db=storage.db,
            handlers={"agency.*": handle},
            retry_pause_seconds=0.05,
        )
    )
    await runtime.start()
    try:
        yield queue
    finally:
        await runtime.stop()
        await drop_storage(storage)
        await delete_queues([queue.name])


async def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_the_same_event_delivered_twice_is_processed_once(rabbitmq: str) -> None:
    processed: list[str] = []
    async with consuming(processed):
        event = _deactivated("agc_twice")
        for _ in range(2):
            await publish_raw(
                event.to_json_bytes(), event.type, content_type=CONTENT_TYPE, message_id=event.id
            )
        follower = _deactivated("agc_after")
        await publish_raw(follower.to_json_bytes(), follower.type, content_type=CONTENT_TYPE)
        await _wait_until(lambda: "agc_after" in processed)
    assert processed == ["agc_twice", "agc_after"]


async def test_events_are_handled_one_at_a_time_in_the_order_they_were_queued(
    rabbitmq: str,
) -> None:
    # The notifier's log order, and the order of webhooks per subject, rest on this.
    processed: list[str] = []
    overlaps: list[int] = []
    names = [f"agc_in_order_{i}" for i in range(6)]
    async with consuming(processed, handling_seconds=0.05, overlaps=overlaps):
        for name in names:
            event = _deactivated(name)
            await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
        await _wait_until(lambda: len(processed) == len(names))
    assert processed == names
    assert max(overlaps) == 1


async def test_a_message_that_is_not_a_valid_event_is_dead_lettered_and_consumption_goes_on(
    rabbitmq: str,
) -> None:
    processed: list[str] = []
    async with consuming(processed) as queue:
        poison = f'{{"this": "is not a cloudevent", "run": "{RUN}"}}'.encode()
        await publish_raw(poison, "agency.registered")
        good = _deactivated("agc_good")
        await publish_raw(good.to_json_bytes(), good.type, content_type=CONTENT_TYPE)
        await _wait_until(lambda: "agc_good" in processed)
        dead = await get_one(queue.dead_letter_name, lambda body: RUN.encode() in body)
    assert dead == poison
    assert processed == ["agc_good"]


async def test_an_event_whose_handler_keeps_failing_is_dead_lettered_after_the_delivery_limit(
    rabbitmq: str,
) -> None:
    processed: list[str] = []
    async with consuming(processed, fail_on={"agc_poison"}) as queue:
        poison = _deactivated("agc_poison")
        await publish_raw(poison.to_json_bytes(), poison.type, content_type=CONTENT_TYPE)
        good = _deactivated("agc_fine")
        await publish_raw(good.to_json_bytes(), good.type, content_type=CONTENT_TYPE)
        dead = await get_one(
            queue.dead_letter_name, lambda body: poison.id.encode() in body, timeout=20
        )
        await _wait_until(lambda: "agc_fine" in processed)
    assert CloudEvent.model_validate_json(dead).subject == f"agc_poison_{RUN}"
    assert processed == ["agc_fine"]


async def test_dead_letters_replayed_after_a_fix_are_processed(rabbitmq: str) -> None:
    from shared.messaging.dlq import dead_letter_depths, replay

    processed: list[str] = []
    failing = {"agc_until_fixed"}
    async with consuming(processed, fail_on=failing) as queue:
        event = _deactivated("agc_until_fixed")
        await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
        async with asyncio.timeout(20):
            while (await dead_letter_depths(rabbitmq, (queue.name,)))[queue.name] < 1:
                await asyncio.sleep(0.1)
        assert processed == []

        failing.clear()  # the handler is fixed
        moved = await replay(rabbitmq, queue.name)
        await _wait_until(lambda: "agc_until_fixed" in processed)
    assert moved >= 1
    assert processed == ["agc_until_fixed"]
