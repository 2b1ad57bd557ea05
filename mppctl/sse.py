"""Following notify's live feed (``GET /events/stream``, Server-Sent Events).

The parser follows the WHATWG "event stream interpretation" rules: ``field: value`` lines,
``data`` lines joined with newlines, comments starting with ``:``, an event dispatched on an
empty line. :func:`follow` reconnects on a dropped connection and resumes with
``Last-Event-ID`` set to the position of the last event it saw, so no event is lost or
repeated across reconnects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from mppctl.client import ApiError, MppClient, ServiceUnreachable

STREAM_PATH = "/events/stream"


@dataclass(frozen=True)
class SseMessage:
    """One dispatched message: ``id`` is the event-log position, ``event`` the type."""

    id: str | None
    event: str
    data: str
    retry: int | None = None


@dataclass(frozen=True)
class FeedEvent:
    """A CloudEvent from the feed with its log position."""

    position: str | None
    type: str
    cloudevent: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The CloudEvent with its ``position`` beside the other attributes."""
        return {"position": _position_value(self.position), **self.cloudevent}


def parse_sse(lines: Iterable[str]) -> Iterator[SseMessage]:
    """The messages in a stream of lines (without their line endings)."""
    data: list[str] = []
    event = ""
    event_id: str | None = None
    retry: int | None = None
    seen_field = False
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if seen_field:
                yield SseMessage(
                    id=event_id, event=event or "message", data="\n".join(data), retry=retry
                )
            data, event, event_id, retry, seen_field = [], "", None, None, False
            continue
        if line.startswith(":"):
            continue  # a comment, e.g. a keep-alive ping
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            if "\x00" not in value:
                event_id = value
        elif name == "retry":
            if value.isdigit():
                retry = int(value)
        else:
            continue
        seen_field = True
    # A message not ended by an empty line is incomplete and, per the spec, dropped.


def to_feed_event(message: SseMessage) -> FeedEvent | None:
    """The CloudEvent a message carries; None for messages without one (e.g. retry only)."""
    if not message.data:
        return None
    try:
        body = json.loads(message.data)
    except ValueError:
        body = {"data": message.data}
    if not isinstance(body, dict):
        body = {"data": body}
    event_type = str(body.get("type") or message.event)
    return FeedEvent(position=message.id, type=event_type, cloudevent=body)


def _position_value(position: str | None) -> int | str | None:
    if position is not None and position.isdigit():
        return int(position)
    return position


def follow(
    client: MppClient,
    on_event: Callable[[FeedEvent], None],
    *,
    types: list[str] | None = None,
    last_event_id: str | None = None,
    max_events: int | None = None,
    max_reconnects: int | None = None,
    on_notice: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
    read_timeout: float = 60.0,
    max_delay: float = 30.0,
) -> int:
    """Print-agnostic feed follower; returns how many events it handed to ``on_event``.

    Runs until ``max_events`` are handled, ``max_reconnects`` is exhausted, or the caller
    interrupts it. The first connection failing raises :class:`ServiceUnreachable` (so a
    script learns at once that notify is down); once connected, drops are retried with a
    growing delay (capped at ``max_delay``, or the stream's ``retry``).
    """
    handled = 0
    connected_once = False
    reconnects = 0
    delay = 1.0
    server_retry: float | None = None
    params = {"types": ",".join(types)} if types else None
    while True:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        try:
            with client.stream(
                "notify", STREAM_PATH, params=params, headers=headers, read_timeout=read_timeout
            ) as response:
                connected_once = True
                delay = 1.0
                for message in parse_sse(response.iter_lines()):
                    if message.retry is not None:
                        server_retry = message.retry / 1000
                    if message.id is not None:
                        last_event_id = message.id
                    event = to_feed_event(message)
                    if event is None:
                        continue
                    on_event(event)
                    handled += 1
                    if max_events is not None and handled >= max_events:
                        return handled
            reason = "the server closed the stream"
        except ServiceUnreachable as error:
            if not connected_once:
                raise
            reason = error.reason
        except ApiError as error:
            if not (error.is_server_error and connected_once):
                raise
            reason = error.message
        except httpx.TransportError as error:  # a read error or timeout mid-stream
            reason = str(error) or type(error).__name__
        reconnects += 1
        if max_reconnects is not None and reconnects > max_reconnects:
            return handled
        wait = server_retry if server_retry is not None else delay
        where = f"after position {last_event_id}" if last_event_id is not None else "live"
        on_notice(f"feed interrupted ({reason}); reconnecting {where} in {wait:g}s")
        sleep(wait)
        delay = min(delay * 2, max_delay)
