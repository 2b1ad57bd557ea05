"""The event log over HTTP and its live feed (SSE), from events consumed off the real broker.

The log holds every event on ``mpp.events``, ours and any other test's, so "no gap, no
duplicate" is checked on positions: together, the messages of two connections cover every
position after the first exactly once.
"""

from __future__ import annotations

import gc
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sse_starlette import EventSourceResponse

from services.notify.container import NotifyContainer
from shared.events.envelope import CloudEvent
from shared.events.patterns import matches_any
from shared.storage import Storage
from tests.support.catalogue_events import agency_registered, mall_closed, mall_scenario, publish
from tests.support.eventually import eventually
from tests.support.notify import running_notify
from tests.support.servers import RunningService
from tests.support.sse import SseMessage, SseReader

pytestmark = pytest.mark.broker


async def logged(service: RunningService, event: CloudEvent) -> dict[str, Any] | None:
    """The log entry of ``event``, once notify has consumed it."""
    page = (await service.client.get("/events", params={"subject": event.subject})).json()
    found = [item for item in page["items"] if item["event"]["id"] == event.id]
    return found[0] if found else None


def ids(messages: list[SseMessage]) -> list[str]:
    return [m.json()["id"] for m in messages]


async def test_a_reader_that_reconnects_with_last_event_id_misses_nothing_and_sees_nothing_twice(
    rabbitmq: str, notify_storage: Storage
) -> None:
    before = [agency_registered() for _ in range(3)]
    meanwhile = [agency_registered() for _ in range(3)]
    after = [agency_registered() for _ in range(2)]
    ours = {e.id for e in before + meanwhile + after}

    async with running_notify(notify_storage) as notify:
        async with SseReader(notify.client, "/events/stream") as first:
            assert first.status_code == 200
            assert first.content_type is not None
            assert first.content_type.startswith("text/event-stream")
            start = int(await _first_id(first))
            for event in before:
                await publish(event)
            await first.wait_for(lambda m: m.json()["id"] == before[-1].id)
            resume_from = first.last_event_id
        assert resume_from is not None

        # Disconnected: three more events are logged.
        for event in meanwhile:
            await publish(event)
        await eventually(lambda: logged(notify, meanwhile[-1]))

        async with SseReader(notify.client, "/events/stream", last_event_id=resume_from) as second:
            await second.wait_for(lambda m: m.json()["id"] == meanwhile[-1].id)
            for event in after:
                await publish(event)
            await second.wait_for(lambda m: m.json()["id"] == after[-1].id)

    received = first.messages + second.messages
    positions = [int(m.id or 0) for m in received]
    assert positions == list(range(start + 1, start + 1 + len(received)))  # no gap, no repeat
    assert [i for i in ids(received) if i in ours] == [e.id for e in before + meanwhile + after]
    assert all(int(m.id or 0) > int(resume_from) for m in second.messages)
    for message in received:
        event = CloudEvent.model_validate(message.json())
        assert message.event == event.type


async def test_a_filtered_stream_carries_only_the_wanted_types_and_resumes_past_the_others(
    rabbitmq: str, notify_storage: Storage
) -> None:
    wanted_types = ["mall.inaugurated", "mall.opened"]
    scenario = mall_scenario("mal_feed_" + agency_registered().subject[-10:], _agency())
    trailing = mall_closed()  # not wanted: the reader's position still moves past it
    async with (
        running_notify(notify_storage) as notify,
        SseReader(
            notify.client, "/events/stream", params={"types": ",".join(wanted_types)}
        ) as feed,
    ):
        for event in [*scenario, trailing]:
            await publish(event)
        entry = await eventually(lambda: logged(notify, trailing))
        await feed.wait_for_id(str(entry["position"]))

    ours = [m for m in feed.messages if m.json()["subject"] == scenario[0].subject]
    assert [m.event for m in ours] == ["mall.opened", "mall.inaugurated"]
    assert all(matches_any(wanted_types, m.event) for m in feed.messages)
    assert feed.last_event_id == str(entry["position"])


async def test_after_resumes_for_clients_that_cannot_send_last_event_id(
    rabbitmq: str, notify_storage: Storage
) -> None:
    events = [agency_registered() for _ in range(3)]
    async with running_notify(notify_storage) as notify:
        for event in events:
            await publish(event)
        second = await eventually(lambda: logged(notify, events[1]))
        await eventually(lambda: logged(notify, events[2]))

        async with SseReader(
            notify.client, "/events/stream", params={"after": second["position"] - 1}
        ) as resumed:
            [first, *_] = await resumed.wait_for(count=2)
        async with SseReader(notify.client, "/events/stream", params={"after": 0}) as whole:
            [oldest, *_] = await whole.wait_for(count=3)

    assert first.id == str(second["position"]) and first.json()["id"] == events[1].id
    assert oldest.id == "1"


async def test_the_stream_sends_a_keep_alive_comment_while_nothing_happens(
    rabbitmq: str, notify_storage: Storage
) -> None:
    async with (
        running_notify(notify_storage, sse_ping_seconds=0.3) as notify,
        SseReader(notify.client, "/events/stream", params={"types": "mall.closed"}) as feed,
    ):
        comment = await feed.wait_for_comment(timeout=5)

    assert comment.startswith("ping")


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"types": "Mou.Signed"}, {}, "types"),
        ({}, {"Last-Event-ID": "not-a-position"}, "Last-Event-ID"),
        ({}, {"Last-Event-ID": "\u00b2".encode()}, "Last-Event-ID"),
        ({}, {"Last-Event-ID": "9" * 5000}, "Last-Event-ID"),
        ({"after": "-1"}, {}, "after"),
        ({"after": "\u00b2"}, {}, "after"),
        ({"after": "9" * 5000}, {}, "after"),
    ],
)
async def test_a_stream_with_a_bad_position_or_pattern_is_refused(
    rabbitmq: str,
    notify_storage: Storage,
    params: dict[str, str],
    headers: dict[str, str | bytes],
    field: str,
) -> None:
    async with running_notify(notify_storage) as notify:
        raw = [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()]
        refused = await notify.client.get("/events/stream", params=params, headers=raw)

    assert refused.status_code == 422
    assert refused.json()["field"] == field


@pytest.mark.parametrize(
    "params", [{"after": "\u00b2"}, {"after": "9" * 5000}, {"cursor": "\u00b2"}, {"cursor": "OTk5"}]
)
async def test_odd_numbers_in_log_queries_are_422_never_500(
    rabbitmq: str, notify_storage: Storage, params: dict[str, str]
) -> None:
    async with running_notify(notify_storage) as notify:
        answer = await notify.client.get("/events", params=params)

    assert answer.status_code in (200, 422), answer.text
    assert answer.headers["content-type"].startswith("application/")


async def test_streams_beyond_the_replicas_cap_get_503_with_retry_after(
    rabbitmq: str, notify_storage: Storage
) -> None:
    async with (
        running_notify(notify_storage, sse_max_connections=1) as notify,
        SseReader(notify.client, "/events/stream") as first,
    ):
        await _first_id(first)
        refused = await notify.client.get("/events/stream")
        await first.close()
        async with SseReader(notify.client, "/events/stream") as later:
            assert later.status_code == 200

    assert first.status_code == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    assert refused.headers["content-type"] == "application/problem+json"


async def test_closed_streams_are_freed_within_seconds_without_waiting_for_the_collector(
    rabbitmq: str, notify_storage: Storage
) -> None:
    # Each closed stream leaves its objects in reference cycles (anyio's cancelled tasks):
    # with the collector off, only notify's own pass after the closes can free them.
    gc.collect()
    gc.disable()
    try:
        async with running_notify(notify_storage) as notify, AsyncExitStack() as opened:
            readers = [
                await opened.enter_async_context(SseReader(notify.client, "/events/stream"))
                for _ in range(5)
            ]
            for reader in readers:
                await _first_id(reader)
            assert _streams_alive() == 5
            passes = notify.container(NotifyContainer).stream_settings.heap.passes
            for reader in readers:
                await reader.close()
            del readers

            left = await eventually(_streams_alive, until=lambda n: n == 0, timeout=5)
            passes_after = notify.container(NotifyContainer).stream_settings.heap.passes
    finally:
        gc.enable()

    assert left == 0
    assert passes_after == passes + 1  # the five closes coalesced into one pass


def _streams_alive() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, EventSourceResponse))


async def test_the_event_log_logs_a_redelivered_event_once_and_filters_and_pages(
    rabbitmq: str, notify_storage: Storage
) -> None:
    scenario = mall_scenario("mal_log_" + agency_registered().subject[-10:], _agency())
    async with running_notify(notify_storage) as notify:
        for event in scenario:
            await publish(event)
        await publish(scenario[0])  # at least once: the same event again
        await eventually(lambda: logged(notify, scenario[-1]))

        subject = scenario[0].subject
        everything = (await notify.client.get("/events", params={"subject": subject})).json()
        first = (
            await notify.client.get(
                "/events", params={"subject": subject, "type": "mall.*", "limit": 2}
            )
        ).json()
        rest = (
            await notify.client.get(
                "/events",
                params={"subject": subject, "type": "mall.*", "cursor": first["next_cursor"]},
            )
        ).json()
        two_types = (
            await notify.client.get(
                "/events",
                params=[("subject", subject), ("type", "mall.planned"), ("type", "mall.opened")],
            )
        ).json()
        bad = await notify.client.get("/events", params={"type": "mall..x"})

    assert [i["event"]["id"] for i in everything["items"]] == [e.id for e in scenario]
    positions = [i["position"] for i in everything["items"]]
    assert positions == sorted(positions)
    assert [i["event"]["type"] for i in first["items"] + rest["items"]] == [
        e.type for e in scenario
    ]
    assert rest["next_cursor"] is None
    assert [i["event"]["type"] for i in two_types["items"]] == ["mall.planned", "mall.opened"]
    assert bad.status_code == 422


async def _first_id(reader: SseReader) -> str:
    """The position a fresh stream starts from (its id-only opening frame)."""
    return await eventually(_last_id(reader))


def _last_id(reader: SseReader) -> Any:
    async def check() -> str | None:
        return reader.last_event_id

    return check


def _agency() -> dict[str, str]:
    event = agency_registered()
    return {"agency_id": event.subject, "code": "KEMENKUMHAM", "name": "Kementerian Hukum dan HAM"}


async def test_readers_older_than_the_replicas_memory_are_caught_up_from_the_stream(
    rabbitmq: str, notify_storage: Storage
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    events = [agency_registered() for _ in range(40)]
    ours = [e.id for e in events]
    async with running_notify(notify_storage, live_feed_ring_size=10) as notify:
        for event in events:
            await publish(event)
        last = await eventually(lambda: logged(notify, events[-1]), timeout=20)
        first = await eventually(lambda: _page_entry(notify, events[0], since))
        live = notify.container(NotifyContainer).live
        assert not live.covers(first["position"] - 1)  # out of memory

        async with SseReader(
            notify.client, "/events/stream", last_event_id=str(first["position"] - 1)
        ) as resumed:
            await resumed.wait_for(lambda m: m.json()["id"] == events[-1].id, timeout=20)
        page = (
            await notify.client.get(
                "/events", params={"since": since.isoformat(), "type": "agency.*", "limit": 500}
            )
        ).json()

    streamed = [i for i in ids(resumed.messages) if i in ours]
    assert streamed == ours  # caught up from the stream, then from memory: in order, once
    assert [i["event"]["id"] for i in page["items"] if i["event"]["id"] in ours] == ours
    assert int(resumed.messages[-1].id or 0) == last["position"]


async def _page_entry(
    service: RunningService, event: CloudEvent, since: datetime
) -> dict[str, Any] | None:
    """The entry of ``event`` found by time (``since``), read from the stream."""
    params = {"since": since.isoformat(), "subject": event.subject}
    page = (await service.client.get("/events", params=params)).json()
    found = [item for item in page["items"] if item["event"]["id"] == event.id]
    return found[0] if found else None
