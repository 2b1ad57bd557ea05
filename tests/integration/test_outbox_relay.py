"""The outbox relay against the real RabbitMQ and a cut connection (shared.outbox)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.events.envelope import CloudEvent
from shared.outbox import AggregateStore
from shared.runtime import ServiceRuntime
from tests.support.broker import EventTap, TcpProxy
from tests.support.eventually import eventually
from tests.support.servers import drop_storage, fresh_storage, service_settings

pytestmark = pytest.mark.broker


def _event(subject: str, version: int) -> CloudEvent:
    return CloudEvent.new(
        type="agency.deactivated",
        source="/mpp/relaytest",
        subject=subject,
        data={"agency_id": subject, "version": version, "code": "BNN", "name": "BNN"},
        correlation_id=f"corr-{subject}",
    )


def _sample(name: str, service: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service}) or 0.0


@asynccontextmanager
async def relaying(
    url: str, **settings: Any
) -> AsyncIterator[tuple[ServiceRuntime, AggregateStore]]:
    """A started runtime, named uniquely for its metrics, with one aggregate collection."""
    name = f"relay{uuid.uuid4().hex[:6]}"
    storage = fresh_storage(name)
    runtime = ServiceRuntime.create(name, service_settings(rabbitmq_url=url, **settings), storage)
    store = runtime.aggregate_store("things")
    await runtime.start()
    try:
        yield runtime, store
    finally:
        if runtime.started:
            await runtime.stop()
        await drop_storage(storage)


async def _wait_for_failures(service: str, above: float, timeout: float = 20.0) -> None:
    await eventually(
        lambda: _sample("mpp_outbox_publish_failures_total", service),
        until=lambda failures: failures > above,
        timeout=timeout,
    )


async def test_a_broker_coming_back_wakes_the_relay_at_once(
    rabbitmq: str, broker_proxy: TcpProxy
) -> None:
    # A first backoff of 15 s: without the wake-up the event would wait that long.
    subject = f"agc_back_{uuid.uuid4().hex[:6]}"
    async with (
        EventTap(["agency.#"]) as tap,
        relaying(broker_proxy.url, outbox_poll_seconds=15) as (runtime, store),
    ):
        await broker_proxy.cut()
        await store.insert({"_id": subject, "version": 1}, [_event(subject, 1)])
        await _wait_for_failures(runtime.name, above=0)
        await broker_proxy.restore()
        restored = time.monotonic()
        await tap.wait_for(lambda r: r.event["subject"] == subject, timeout=30)
        waited = time.monotonic() - restored
    assert waited < 6.0, f"first publish {waited:.1f} s after the broker came back"


async def test_the_pending_gauge_counts_the_backlog_and_falls_as_soon_as_it_is_published(
    rabbitmq: str, broker_proxy: TcpProxy
) -> None:
    subject = f"agc_backlog_{uuid.uuid4().hex[:6]}"
    events = [_event(subject, version) for version in (1, 2, 3)]
    async with (
        EventTap(["agency.#"]) as tap,
        relaying(broker_proxy.url, outbox_poll_seconds=30) as (runtime, store),
    ):
        await broker_proxy.cut()
        await store.insert({"_id": subject, "version": 3}, events)
        failures = _sample("mpp_outbox_publish_failures_total", runtime.name)
        await _wait_for_failures(runtime.name, above=failures)
        # The relay counts what is pending once it has failed.
        backlog = await eventually(
            lambda: _sample("mpp_outbox_pending_events", runtime.name), until=lambda n: n == 3
        )
        await broker_proxy.restore()
        await tap.wait_for(lambda r: r.event["subject"] == subject, count=3, timeout=30)
        # The relay's pass ends after the last confirm: the gauge falls to nothing pending.
        after = await eventually(
            lambda: _sample("mpp_outbox_pending_events", runtime.name), until=lambda n: n == 0
        )
    assert backlog == 3
    assert after == 0


async def test_stopping_with_events_pending_logs_an_error_with_their_count(
    rabbitmq: str, broker_proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    subject = f"agc_unsent_{uuid.uuid4().hex[:6]}"
    async with relaying(broker_proxy.url) as (runtime, store):
        await broker_proxy.cut()
        await store.insert({"_id": subject, "version": 2}, [_event(subject, 1), _event(subject, 2)])
        await _wait_for_failures(runtime.name, above=0)
        with caplog.at_level(logging.ERROR, logger="shared.outbox"):
            await runtime.stop()
    [line] = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "outbox.pending_at_shutdown"
    ]
    assert line["pending_events"] == 2
    assert line["level"] == "error"
    expected = "published when the service starts again" if runtime.storage.durable else "LOST"
    assert expected in line["detail"]
