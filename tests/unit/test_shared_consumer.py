"""Every message a consumer is given ends settled (shared.messaging.consumer), broker-free.

The consumer is driven directly with a stand-in for FastStream's ``RabbitMessage`` that records
how it was settled; the real-broker behaviour is in tests/integration/test_consuming_events.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from structlog import BoundLogger, wrap_logger
from structlog.testing import LogCapture

from shared.events.envelope import CloudEvent
from shared.events.examples import EXAMPLES
from shared.messaging import consumer as consumer_module
from shared.messaging.consumer import PROCESSED_COLLECTION, EventConsumer, parse_event
from shared.messaging.topology import ConsumerQueue
from shared.storage import Database
from tests.support.eventually import eventually

DELIVERY_LIMIT = 2


class FakeMessage:
    """Records how the consumer settled it, like FastStream's ``RabbitMessage`` would."""

    def __init__(self, body: bytes, headers: dict[str, Any] | None = None) -> None:
        self.body = body
        self.headers = headers or {}
        self.message_id = "m-1"
        self.committed: str | None = None
        self.settlements: list[str] = []

    async def ack(self) -> None:
        self._settle("acked")

    async def nack(self, requeue: bool = True) -> None:
        self._settle("nacked")

    async def reject(self, requeue: bool = False) -> None:
        self._settle("requeued" if requeue else "rejected")

    def _settle(self, how: str) -> None:
        self.settlements.append(how)
        if self.committed is None:
            self.committed = how


class FlakyCollection:
    """The processed-ids collection, failing the first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.ids: set[str] = set()

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the store is unreachable")

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        self._maybe_fail()
        return {"_id": query["_id"]} if query["_id"] in self.ids else None

    async def insert_one(self, document: dict[str, Any]) -> None:
        self._maybe_fail()
        self.ids.add(document["_id"])


def _consumer(
    handler_failures: int = 0, store_failures: int = 0, handled: list[str] | None = None
) -> EventConsumer:
    remaining = {"failures": handler_failures}

    async def handle(event: CloudEvent) -> None:
        if remaining["failures"] > 0:
            remaining["failures"] -= 1
            raise RuntimeError("the handler failed")
        if handled is not None:
            handled.append(event.id)

    db = cast(Database, {PROCESSED_COLLECTION: FlakyCollection(store_failures)})
    return EventConsumer(
        service="unit",
        queue=ConsumerQueue("unit.consumer", ("#",), delivery_limit=DELIVERY_LIMIT),
        db=db,
        handlers={"#": handle},
        retry_pause_seconds=0.0,
    )


def _event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": "evt-1",
        "type": "agency.registered",
        "source": "/mpp/agency",
        "subject": EXAMPLES["agency.registered"]["agency_id"],
        "time": "2026-11-28T10:00:00Z",
        "datacontenttype": "application/json",
        "data": EXAMPLES["agency.registered"],
        "correlationid": "corr-1",
    }
    body.update(overrides)
    return body


async def _deliver(consumer: EventConsumer, message: FakeMessage) -> FakeMessage:
    await consumer.handle_message(message)  # type: ignore[arg-type]
    return message


@contextmanager
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """The consumer's log lines as dicts (and no slow traceback rendering per example)."""
    capture = LogCapture()
    logger = wrap_logger(None, processors=[capture], wrapper_class=BoundLogger)
    with mock.patch.object(consumer_module, "log", logger):
        yield capture.entries


def _rejections(reason: str) -> float:
    labels = {"service": "unit", "queue": "unit.consumer", "reason": reason}
    return REGISTRY.get_sample_value("mpp_events_rejected_total", labels) or 0.0


# --- the property ---------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_zones = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_times = st.datetimes(timezones=_zones).map(lambda t: t.isoformat()) | st.sampled_from(
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00Z", ""]
)
_fields = st.sampled_from(sorted(_event()))
_envelopes = st.one_of(
    st.builds(lambda t: _event(time=t), _times),
    st.builds(lambda t, d: _event(type=t, data=d), st.sampled_from(sorted(EXAMPLES)), _json),
    st.builds(lambda k, v: _event(**{k: v}), _fields, _json),
    st.builds(lambda k: {f: v for f, v in _event().items() if f != k}, _fields),
    _json,
).map(lambda document: json.dumps(document, default=str).encode())
_bodies = _envelopes | st.binary(max_size=64)
_delivery_counts = st.none() | st.integers(min_value=-1, max_value=10) | st.text(max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=_bodies,
    delivered_before=_delivery_counts,
    handler_failures=st.integers(min_value=0, max_value=DELIVERY_LIMIT + 2),
    store_failures=st.integers(min_value=0, max_value=3),
)
def test_every_generated_message_ends_acked_or_rejected(
    body: bytes, delivered_before: Any, handler_failures: int, store_failures: int
) -> None:
    headers = {} if delivered_before is None else {"x-delivery-count": delivered_before}
    consumer = _consumer(handler_failures, store_failures)
    with captured_logs() as logs:
        message = asyncio.run(_deliver(consumer, FakeMessage(body, headers)))

    assert len(message.settlements) == 1, message.settlements
    assert message.committed in {"acked", "rejected"}
    if message.committed == "rejected":
        assert logs[-1]["event"] == "event.rejected_to_dlq" and logs[-1]["reason"]
    try:
        parse_event(body)
    except ValueError:
        assert message.committed == "rejected"  # the message's own fault: at once, no retry
        assert not any(entry["event"] == "event.handler_failed" for entry in logs)
    assert consumer.oldest_unacked_seconds() == 0.0


# --- one case each ----------------------------------------------------------------------


async def test_an_event_whose_time_overflows_utc_is_dead_lettered_at_once() -> None:
    before = _rejections("invalid_envelope")
    handled: list[str] = []
    body = json.dumps(_event(time="9999-12-31T23:59:59-01:00")).encode()

    message = await _deliver(_consumer(handled=handled), FakeMessage(body))

    assert message.settlements == ["rejected"]
    assert handled == []
    assert _rejections("invalid_envelope") == before + 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe not even text", "undecodable"),
        (b'{"specversion": "1.0"', "undecodable"),
        (json.dumps(_event(specversion="0.3")).encode(), "invalid_envelope"),
        (json.dumps(_event(data={"agency_id": "agc_1"})).encode(), "invalid_data"),
        (b"[" * 100_000, "undecodable"),
    ],
)
async def test_a_message_that_is_not_a_valid_event_is_rejected_with_its_reason(
    body: bytes, reason: str
) -> None:
    before = _rejections(reason)
    message = await _deliver(_consumer(), FakeMessage(body))
    assert message.settlements == ["rejected"]
    assert _rejections(reason) == before + 1


async def test_a_store_error_while_deduplicating_or_recording_is_retried_then_acked() -> None:
    handled: list[str] = []
    body = json.dumps(_event()).encode()
    message = await _deliver(_consumer(store_failures=2, handled=handled), FakeMessage(body))
    assert message.settlements == ["acked"]
    assert handled == ["evt-1"]


async def test_an_event_that_keeps_failing_is_dead_lettered_after_the_delivery_limit() -> None:
    before = _rejections("delivery_limit")
    body = json.dumps(_event()).encode()
    message = await _deliver(_consumer(handler_failures=99), FakeMessage(body))
    assert message.settlements == ["rejected"]
    assert _rejections("delivery_limit") == before + 1


async def test_deliveries_the_broker_already_counted_use_up_the_limit() -> None:
    # Two earlier deliveries (a crash, a restart) leave one attempt of the three.
    handled: list[str] = []
    body = json.dumps(_event()).encode()
    consumer = _consumer(handler_failures=1, handled=handled)
    message = await _deliver(consumer, FakeMessage(body, {"x-delivery-count": DELIVERY_LIMIT}))
    assert message.settlements == ["rejected"]
    assert handled == []


async def test_a_consumer_closed_mid_retry_hands_the_message_back_to_the_broker() -> None:
    consumer = _consumer(handler_failures=99)
    consumer._retry_pause = 30.0
    message = FakeMessage(json.dumps(_event()).encode())
    delivery = asyncio.create_task(_deliver(consumer, message))
    await eventually(lambda: consumer.oldest_unacked_seconds() > 0)
    consumer.close()
    async with asyncio.timeout(5):
        await delivery
    assert message.settlements == ["requeued"]


async def test_messages_are_handled_one_at_a_time_in_delivery_order() -> None:
    handled: list[str] = []
    consumer = _consumer(handler_failures=2, handled=handled)
    messages = [FakeMessage(json.dumps(_event(id=f"evt-{i}")).encode()) for i in range(4)]
    await asyncio.gather(*(_deliver(consumer, m) for m in messages))
    assert handled == ["evt-0", "evt-1", "evt-2", "evt-3"]
    assert [m.committed for m in messages] == ["acked"] * 4


def test_the_envelope_refuses_a_time_past_the_last_utc_instant() -> None:
    with pytest.raises(ValueError, match="out of range"):
        CloudEvent.model_validate(_event(time="9999-12-31T23:59:59-01:00"))
    late = CloudEvent.model_validate(_event(time="9999-12-31T22:59:59-01:00"))
    assert late.time == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
