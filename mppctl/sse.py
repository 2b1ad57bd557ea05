"""Following notify's live feed (``GET /events/stream``, Server-Sent Events).

Decoding is httpx-sse's (the WHATWG "event stream interpretation" rules: ``field: value``
lines, ``data`` lines joined with newlines, comments starting with ``:``, an event dispatched
on an empty line; lines split on CR, LF or CRLF only). Its decoders are used directly rather
than through ``EventSource``, which refuses a response without a ``text/event-stream``
content type and keeps the last id on every later message. :func:`follow` reconnects on a
dropped connection and resumes with ``Last-Event-ID`` set to the position of the last event
it saw, so no event is lost or repeated across reconnects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import ServerSentEvent

# Not re-exported by httpx-sse (pinned exactly in pyproject.toml): the line splitter and the
# decoder that EventSource.iter_sse is made of.
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from mppctl.client import ApiError, MppClient, ServiceUnreachable

STREAM_PATH = "/events/stream"


@dataclass(frozen=True)
class SseMessage:
    """One dispatched message: ``id`` is the event-log position, ``event`` the type."""

    id: str | None
    event: str
    data: str
    retry: int | None = None

    @classmethod
    def decoded(cls, message: ServerSentEvent) -> SseMessage:
        return cls(
            id=message.id or None, event=message.event, data=message.data, retry=message.retry
        )


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
    """The messages in a stream of lines (without their line endings), decoded by httpx-sse.

    Each message's ``id`` is the one it carried itself (None when it had none), not the
    stream's last-event-id buffer: a position belongs to one event. :func:`follow` keeps the
    buffer itself, for ``Last-Event-ID`` on reconnect.
    """
    decoder = SSEDecoder()
    for line in lines:
        message = decoder.decode(line.rstrip("\r\n"))
        if message is not None:
            yield SseMessage.decoded(message)
            decoder = SSEDecoder()
    # A message not ended by an empty line is incomplete and, per the spec, dropped.


def _sse_lines(response: httpx.Response) -> Iterator[str]:
    """The response's lines, split on CR, LF or CRLF only, as the SSE spec says."""
    decoder = SSELineDecoder()
    for text in response.iter_text():
        yield from decoder.decode(text)
    yield from decoder.flush()


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


def _feed_headers(last_event_id: str | None) -> dict[str, str]:
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return headers


def _reason_to_reconnect(error: Exception, connected_once: bool) -> str:
    """Why the feed dropped, for the notice; re-raises what reconnecting cannot mend.

    Notify unreachable or refusing on the first try is the caller's to hear at once; once
    connected, a dropped connection, a read error or timeout, or a 5xx is worth retrying.
    """
    if isinstance(error, ServiceUnreachable):
        if not connected_once:
            raise error
        return error.reason
    if isinstance(error, ApiError):
        if not (error.is_server_error and connected_once):
            raise error
        return error.message
    return str(error) or type(error).__name__


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
        headers = _feed_headers(last_event_id)
        try:
            with client.stream(
                "notify", STREAM_PATH, params=params, headers=headers, read_timeout=read_timeout
            ) as response:
                connected_once = True
                delay = 1.0
                for message in parse_sse(_sse_lines(response)):
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
        except (ServiceUnreachable, ApiError, httpx.TransportError) as error:
            reason = _reason_to_reconnect(error, connected_once)
        reconnects += 1
        if max_reconnects is not None and reconnects > max_reconnects:
            return handled
        wait = server_retry if server_retry is not None else delay
        where = f"after position {last_event_id}" if last_event_id is not None else "live"
        on_notice(f"feed interrupted ({reason}); reconnecting {where} in {wait:g}s")
        sleep(wait)
        delay = min(delay * 2, max_delay)
