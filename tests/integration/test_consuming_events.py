"""Idempotent, poison-safe consumption over the real RabbitMQ (shared.messaging.consumer)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from shared.bus import CommandBus
from shared.container import ServiceContainer
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from shared.http.app import create_app
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import ConsumerQueue
from shared.runtime import ServiceRuntime
from shared.storage import Storage
from tests.support.broker import delete_queues, get_one, publish_raw
from tests.support.catalogue_events import agency_deactivated
from tests.support.eventually import eventually
from tests.support.servers import (
    RunningService,
    drop_storage,
    fresh_storage,
    serve,
    service_settings,
)

pytestmark = pytest.mark.broker


RUN = uuid.uuid4().hex[:6]


def _deactivated(name: str) -> CloudEvent:
    return agency_deactivated(f"{name}_{RUN}")


@asynccontextmanager
async def consuming(
    handler_log: list[str],
    fail_on: set[str] | None = None,
    handling_seconds: float = 0.0,
    overlaps: list[int] | None = None,
    fail_when: Callable[[str], bool] | None = None,
    delivery_limit: int = 2,
) -> AsyncIterator[ConsumerQueue]:
    """A runtime with one consumer on a fresh queue bound to agency.#; yields its queue.

    ``handling_seconds`` makes each handling take that long; ``overlaps`` records how many
    handlings were under way as each one began.
    """
    queue = ConsumerQueue(
        f"test.consumer_{uuid.uuid4().hex[:8]}", ("agency.#",), delivery_limit=delivery_limit
    )
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
        subject = event.subject.removesuffix(f"_{RUN}")
        if fail_on and subject in fail_on:
            raise RuntimeError("this handler always fails for this subject")
        if fail_when is not None and event.subject.endswith(RUN) and fail_when(subject):
            raise RuntimeError("this handler fails this time")
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
        await eventually(lambda: "agc_after" in processed)
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
        await eventually(lambda: len(processed) == len(names))
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
        await eventually(lambda: "agc_good" in processed)
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
        await eventually(lambda: "agc_fine" in processed)
    assert CloudEvent.model_validate_json(dead).subject == f"agc_poison_{RUN}"
    assert processed == ["agc_fine"]


async def test_dead_letters_replayed_after_a_fix_are_processed(rabbitmq: str) -> None:
    from shared.messaging.dlq import dead_letter_depths, replay

    processed: list[str] = []
    failing = {"agc_until_fixed"}
    async with consuming(processed, fail_on=failing) as queue:
        event = _deactivated("agc_until_fixed")
        await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
        await eventually(
            lambda: dead_letter_depths(rabbitmq, (queue.name,)),
            until=lambda depths: depths[queue.name] >= 1,
            timeout=20,
            every=0.1,
        )
        assert processed == []

        failing.clear()  # the handler is fixed
        moved = await replay(rabbitmq, queue.name)
        await eventually(lambda: "agc_until_fixed" in processed)
    assert moved >= 1
    assert processed == ["agc_until_fixed"]


async def test_order_holds_after_a_dead_lettering(rabbitmq: str) -> None:
    # RabbitMQ 3.10 grants a consumer extra credit once a requeued message has been
    # dead-lettered (rabbitmq-server PR #5609): prefetch 1 no longer keeps later events back,
    # so only the consumer itself can keep them behind one that is still failing.
    processed: list[str] = []
    attempts: dict[str, int] = {}

    def flaky(subject: str) -> bool:
        attempts[subject] = attempts.get(subject, 0) + 1
        return subject == "agc_poison_first" or (
            subject.startswith("agc_flaky") and attempts[subject] <= 2
        )

    async with consuming(processed, fail_when=flaky, delivery_limit=2) as queue:
        first = _deactivated("agc_poison_first")
        await publish_raw(first.to_json_bytes(), first.type, content_type=CONTENT_TYPE)
        await get_one(queue.dead_letter_name, lambda body: first.id.encode() in body, timeout=20)
        names = []
        for i in range(3):
            names += [f"agc_flaky_{i}", f"agc_steady_{i}a", f"agc_steady_{i}b"]
        for name in names:
            event = _deactivated(name)
            await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
        await eventually(lambda: len(processed) == len(names), timeout=30)
    assert processed == names


def _event_body(name: str, **overrides: str) -> bytes:
    wire = _deactivated(name).to_wire_dict()
    wire.update(overrides)
    return json.dumps(wire).encode()


async def test_an_event_whose_time_is_past_the_last_utc_instant_never_delays_the_next_one(
    rabbitmq: str,
) -> None:
    # 9999-12-31T23:59:59-01:00 is a valid RFC 3339 time whose UTC form does not exist.
    processed: list[str] = []
    async with consuming(processed) as queue:
        impossible = _event_body("agc_impossible", time="9999-12-31T23:59:59-01:00")
        await publish_raw(impossible, "agency.deactivated", content_type=CONTENT_TYPE)
        good = _deactivated("agc_after_impossible")
        await publish_raw(good.to_json_bytes(), good.type, content_type=CONTENT_TYPE)
        await eventually(lambda: "agc_after_impossible" in processed, timeout=5)
        dead = await get_one(queue.dead_letter_name, lambda body: b"agc_impossible" in body)
    assert dead == impossible
    assert processed == ["agc_after_impossible"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"not json at all", "application/json"), (b"\xff\xfe\xfd", "text/plain")],
)
async def test_a_body_that_does_not_decode_as_its_content_type_is_dead_lettered(
    rabbitmq: str, body: bytes, content_type: str
) -> None:
    processed: list[str] = []
    async with consuming(processed) as queue:
        marked = body + RUN.encode()
        await publish_raw(marked, "agency.registered", content_type=content_type)
        good = _deactivated("agc_after_undecodable")
        await publish_raw(good.to_json_bytes(), good.type, content_type=CONTENT_TYPE)
        await eventually(lambda: "agc_after_undecodable" in processed, timeout=5)
        dead = await get_one(queue.dead_letter_name, lambda got: RUN.encode() in got)
    assert dead == marked


@asynccontextmanager
async def serving_a_consumer(gate: asyncio.Event) -> AsyncIterator[tuple[RunningService, str]]:
    """A service over HTTP whose one consumer waits for ``gate`` before handling anything."""
    queue = ConsumerQueue(f"test.consumer_{uuid.uuid4().hex[:8]}", ("agency.#",))
    storage = fresh_storage("consumer")
    runtime = ServiceRuntime.create("test", service_settings(consumer_stuck_seconds=0.5), storage)

    async def handle(event: CloudEvent) -> None:
        await gate.wait()

    runtime.add_consumer(
        EventConsumer(service="test", queue=queue, db=storage.db, handlers={"agency.*": handle})
    )
    container = ServiceContainer(runtime=runtime, bus=CommandBus({}))
    app = create_app(container, title="test", description="a consumer", routers=[])
    try:
        async with serve(app) as running:
            yield running, queue.name
    finally:
        await drop_storage(storage)
        await delete_queues([queue.name])


async def test_readiness_fails_naming_a_consumer_stuck_past_the_threshold(rabbitmq: str) -> None:
    gate = asyncio.Event()
    async with serving_a_consumer(gate) as (service, queue):
        assert (await service.client.get("/readyz")).status_code == 200
        event = _deactivated("agc_stuck")
        await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
        ready = await eventually(
            lambda: service.client.get("/readyz"), until=lambda r: r.status_code != 200
        )
        metrics = (await service.client.get("/metrics")).text
        gate.set()
        await eventually(
            lambda: service.client.get("/readyz"), until=lambda r: r.status_code == 200
        )
    assert ready.status_code == 503
    assert ready.json()["checks"][f"consumer:{queue}"].startswith("stuck")
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("mpp_consumer_oldest_unacked_seconds") and queue in line
    )
    assert float(line.split()[-1]) > 0.5


async def test_bad_messages_between_valid_events_are_dead_lettered_without_a_single_retry(
    rabbitmq: str, caplog: pytest.LogCaptureFixture
) -> None:
    # "A malformed or impossible event never delays a valid one by more than the time it takes
    # to reject it": every bad message is settled on its first delivery, none is retried.
    wire = _deactivated("agc_template").to_wire_dict()
    bad_bodies: list[tuple[bytes, str]] = [
        (b"\xff\xfe not text", "application/octet-stream"),
        (b"{not json", "application/json"),
        (json.dumps({**wire, "time": "9999-12-31T23:59:59-01:00"}).encode(), CONTENT_TYPE),
        (json.dumps({**wire, "time": "0001-01-01T00:00:00+01:00"}).encode(), CONTENT_TYPE),
        (json.dumps({**wire, "data": {"agency_id": 7}}).encode(), CONTENT_TYPE),
        (json.dumps({k: v for k, v in wire.items() if k != "id"}).encode(), CONTENT_TYPE),
        (b"[" * 50_000, CONTENT_TYPE),
    ]
    processed: list[str] = []
    names = [f"agc_between_{i}" for i in range(len(bad_bodies) + 1)]
    async with consuming(processed) as queue:
        for i, (body, content_type) in enumerate(bad_bodies):
            event = _deactivated(names[i])
            await publish_raw(event.to_json_bytes(), event.type, content_type=CONTENT_TYPE)
            await publish_raw(body, "agency.deactivated", content_type=content_type)
        last = _deactivated(names[-1])
        await publish_raw(last.to_json_bytes(), last.type, content_type=CONTENT_TYPE)
        await eventually(lambda: len(processed) == len(names))
        for body, _ in bad_bodies:
            await get_one(queue.dead_letter_name, lambda got, body=body: got == body)  # type: ignore[misc]
    assert processed == names
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    assert not [e for e in events if e.get("event") == "event.handler_failed"]
    reasons = [e["reason"] for e in events if e.get("event") == "event.rejected_to_dlq"]
    assert len(reasons) == len(bad_bodies)
