"""The event log over HTTP: ``GET /events`` (pages) and ``GET /events/stream`` (SSE). Public.

Both read the replica's in-memory tail of the log stream (``LiveLog``) and, for older
positions, the stream itself; neither touches the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.notify import SERVICE
from services.notify.deps import Live, Streams
from services.notify.eventlog import (
    MAX_POSITION,
    EventLogFilter,
    LoggedEvent,
    check_type_patterns,
    parse_position,
)
from services.notify.livelog import LiveLog, StreamSettings, sse_frame
from services.notify.metrics import OPEN_STREAMS, SSE_REFUSED
from shared.clock import UtcDateTime
from shared.errors import DomainError
from shared.events.patterns import matches_any
from shared.http.problems import Problem, answered_as
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/events", tags=["event log"])

STREAM_BATCH = 200
RECONNECT_MILLISECONDS = 2000
SEP = ServerSentEvent.DEFAULT_SEPARATOR
MAX_QUERY_CHARS = 2000


@answered_as(
    Problem(503, "too-many-streams", "Too many open streams", lambda _: {"Retry-After": "5"})
)
class TooManyStreams(DomainError):
    """This replica already serves as many streams as it may."""


@router.get("")
async def list_events(
    live: Live,
    type: list[str] = Query(
        [],
        max_length=50,
        json_schema_extra={"maxItems": 50, "items": {"type": "string", "maxLength": 255}},
        description="Type patterns (`mou.*`, `mall.inaugurated`), repeated or comma-separated.",
    ),
    subject: str | None = Query(None, max_length=200, description="The id of the aggregate."),
    since: UtcDateTime | None = Query(None, description="Events whose `time` is this or later."),
    until: UtcDateTime | None = Query(None, description="... and earlier than this."),
    after: int | None = Query(
        None, ge=0, le=MAX_POSITION, description="Only positions after this one."
    ),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(
        None, max_length=100, description="`next_cursor` of the previous page."
    ),
) -> Page[LoggedEvent]:
    """The event log in position order (stream offset + 1).

    Filters are applied while reading: recent positions come from memory; a filter over an
    older range reads the stream from there (from `since` by the stream's timestamp index),
    so its cost is bounded by the log's retention (`EVENT_LOG_MAX_AGE`/`_MAX_BYTES`).
    """
    filters = EventLogFilter(
        types=check_type_patterns(type), subject=subject, since=since, until=until
    )
    return await live.page(filters, limit, cursor, after)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The live feed."},
        503: {"description": "The replica's connection cap is reached; retry after a while."},
    },
)
async def stream_events(
    live: Live,
    settings: Streams,
    types: list[str] = Query(
        [],
        max_length=50,
        json_schema_extra={"maxItems": 50, "items": {"type": "string", "maxLength": 255}},
        description="Only these type patterns, repeated or comma-separated (`mou.*,mall.#`).",
    ),
    after: str | None = Query(
        None,
        max_length=30,
        description="Resume after this position (for clients that cannot send"
        " Last-Event-ID); 0 replays the whole log.",
    ),
    last_event_id: str | None = Header(
        None, alias="Last-Event-ID", max_length=30, description="Resume after this position."
    ),
) -> EventSourceResponse:
    """Server-Sent Events: `id` is the log position, `event` the type, `data` the CloudEvent.

    Without a position it starts at the current end of the log. With `Last-Event-ID` (or
    `?after=`) it first sends what was logged after that position (read from the stream when
    it is older than the replica's memory), then goes on live: no gap, no duplicate. A
    keep-alive comment comes every 15 seconds.
    """
    patterns = check_type_patterns(types, field="types")
    start = _resume_position(last_event_id, after)
    if settings.open >= settings.max_connections:
        SSE_REFUSED.labels(service=SERVICE).inc()
        raise TooManyStreams(
            f"this replica serves at most {settings.max_connections} streams; retry later"
        )
    if start is None:
        start = live.head
    return EventSourceResponse(
        _frames(live, start, patterns, settings),
        ping=settings.ping_seconds,
        headers={"Cache-Control": "no-cache"},
    )


def _resume_position(last_event_id: str | None, after: str | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        return parse_position(last_event_id, "Last-Event-ID")
    if after is not None:
        return parse_position(after, "after")
    return None


async def _frames(
    live: LiveLog, start: int, patterns: list[str], settings: StreamSettings
) -> AsyncIterator[ServerSentEvent | bytes]:
    """Everything after ``start``, then each new event as it is logged."""
    settings.open += 1
    OPEN_STREAMS.labels(service=SERVICE).inc()
    keep = (lambda event_type: matches_any(patterns, event_type)) if patterns else None
    try:
        last = start
        # An id-only frame: a client that drops before any event still resumes from here.
        yield ServerSentEvent(id=str(last), retry=RECONNECT_MILLISECONDS)
        while True:
            woken = live.signal.waiter()
            from_ring = live.frames_after(last, STREAM_BATCH, keep)
            frames: list[bytes | memoryview] = []
            if from_ring is None:  # older than the replica's memory: from the stream
                batch, read_to = await live.read_after(last, STREAM_BATCH, keep)
                for entry in batch:
                    frames.append(sse_frame(entry))
                    last = entry.position
                full = len(batch) == STREAM_BATCH
            else:
                frames, last, read_to = from_ring
                full = len(frames) == STREAM_BATCH
            if read_to > last:
                # Events that did not match were passed: move the client's position too.
                last = read_to
                frames.append(f"id: {last}{SEP}{SEP}".encode())
            if frames:
                yield b"".join(frames)  # one write per wake-up, however many events
            if full or last < live.head:
                continue
            await woken.wait()  # sse_starlette's pings keep the connection alive meanwhile
    finally:
        settings.open -= 1
        OPEN_STREAMS.labels(service=SERVICE).dec()
        settings.heap.soon()  # a burst of closes: one trim, once their memory is free
