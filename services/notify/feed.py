"""The event log over HTTP: ``GET /events`` (pages) and ``GET /events/stream`` (SSE). Public."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.notify import SERVICE
from services.notify.eventlog import EventLog, EventLogFilter, LoggedEvent, check_type_patterns
from services.notify.metrics import OPEN_STREAMS
from shared.background import wait_for_signal
from shared.clock import UtcDateTime
from shared.errors import RuleViolated
from shared.http.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/events", tags=["event log"])

STREAM_BATCH = 200
RECONNECT_MILLISECONDS = 2000


class StreamSettings(BaseModel):
    ping_seconds: float = 15.0
    poll_seconds: float = 1.0


def _events(request: Request) -> EventLog:
    events: EventLog = request.app.state.events
    return events


@router.get("")
async def list_events(
    type: list[str] = Query(
        [],
        description="Type patterns (`mou.*`, `mall.inaugurated`), repeated or comma-separated.",
    ),
    subject: str | None = Query(None, description="The id of the aggregate."),
    since: UtcDateTime | None = Query(None, description="Events whose `time` is this or later."),
    until: UtcDateTime | None = Query(None, description="... and earlier than this."),
    after: int | None = Query(None, ge=0, description="Only positions after this one."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
    events: EventLog = Depends(_events),
) -> Page[LoggedEvent]:
    """The event log in position order (the order notify consumed the events)."""
    filters = EventLogFilter(
        types=check_type_patterns(type), subject=subject, since=since, until=until
    )
    return await events.page(filters, limit, cursor, after)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The live feed."}},
)
async def stream_events(
    request: Request,
    types: list[str] = Query(
        [], description="Only these type patterns, repeated or comma-separated (`mou.*,mall.#`)."
    ),
    after: int | None = Query(
        None,
        ge=0,
        description="Resume after this position (for clients that cannot send"
        " Last-Event-ID); 0 replays the whole log.",
    ),
    last_event_id: str | None = Header(
        None, alias="Last-Event-ID", description="Resume after this position."
    ),
    events: EventLog = Depends(_events),
) -> EventSourceResponse:
    """Server-Sent Events: `id` is the log position, `event` the type, `data` the CloudEvent.

    Without a position it starts at the current end of the log. With `Last-Event-ID` (or
    `?after=`) it first sends what was logged after that position, then goes on live: no
    gap, no duplicate. A keep-alive comment comes every 15 seconds.
    """
    patterns = check_type_patterns(types, field="types")
    start = _resume_position(last_event_id, after)
    if start is None:
        start = await events.head()
    settings: StreamSettings = request.app.state.stream_settings
    return EventSourceResponse(
        _frames(events, start, patterns, settings.poll_seconds),
        ping=settings.ping_seconds,
        headers={"Cache-Control": "no-cache"},
    )


def _resume_position(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        raw = last_event_id.strip()
        if not raw.isdigit():
            raise RuleViolated(
                "Last-Event-ID must be a position this stream sent", field="Last-Event-ID"
            )
        return int(raw)
    return after


async def _frames(
    events: EventLog, start: int, patterns: list[str], poll_seconds: float
) -> AsyncIterator[ServerSentEvent]:
    """Everything after ``start``, then each new event as it is logged."""
    OPEN_STREAMS.labels(service=SERVICE).inc()
    try:
        last = start
        # An id-only frame: a client that drops before any event still resumes from here.
        yield ServerSentEvent(id=str(last), retry=RECONNECT_MILLISECONDS)
        while True:
            woken = events.signal.waiter()
            batch, read_to = await events.read_after(last, STREAM_BATCH, patterns)
            for logged in batch:
                yield ServerSentEvent(
                    id=str(logged.position), event=logged.type, data=logged.body().decode()
                )
                last = logged.position
            if read_to > last:
                # Events that did not match were passed: move the client's position too.
                last = read_to
                yield ServerSentEvent(id=str(last))
            if len(batch) == STREAM_BATCH:
                continue
            await wait_for_signal(woken, poll_seconds)
    finally:
        OPEN_STREAMS.labels(service=SERVICE).dec()
