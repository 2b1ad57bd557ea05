"""The log as each replica sees it: one stream consumer feeding a bounded ring in memory.

Every SSE client and every recent page reads the ring; a reader asking for positions older
than the ring is served from the stream itself (a consumer of its own, from that offset)
until it reaches the ring. No reader touches the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from sse_starlette import ServerSentEvent

from services.notify import SERVICE
from services.notify.broker import NotifyBroker, StreamStart, stream_position
from services.notify.dedupe import IdWindow
from services.notify.eventlog import EventLogFilter, LoggedEvent, parse_position
from services.notify.metrics import EVENTS_LOGGED, LOG_SKIPPED
from services.notify.ring import LogRing
from services.notify.topology import LOG_STREAM
from shared.heap import HeapTrimmer
from shared.logging import get_logger
from shared.pagination import Page, decode_cursor, encode_cursor

log = get_logger(__name__)

Keep = Callable[[str], bool] | None
"""Which event types a reader wants (None: every one)."""
ACK_EVERY = 64
"""Stream messages acked at once (``multiple``): acks only give the broker credit here."""
STREAM_IDLE_SECONDS = 3.0
"""A history read that gets nothing for this long has reached the end of what exists."""
TIMESTAMP_MARGIN = timedelta(seconds=2)


@dataclass
class StreamSettings:
    """The live feed's keep-alive interval and open-stream limit, the streams open now, and
    the trimmer that gives closed streams' memory back to the system."""

    ping_seconds: float = 15.0
    max_connections: int = 1000
    open: int = 0
    heap: HeapTrimmer = field(default_factory=HeapTrimmer)


class LogSignal:
    """Wakes readers when the log grows; take ``waiter()`` before reading, then wait on it."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


class LiveLog:
    """The tail of ``notify.log`` in memory, and reads of any part of it.

    Args:
        broker: notify's AMQP connection.
        ring_size: recent entries kept, at least.
        dedupe_window: recent event ids remembered to drop duplicates, at least.
    """

    def __init__(self, broker: NotifyBroker, ring_size: int, dedupe_window: int) -> None:
        self._broker = broker
        self._ring = LogRing(ring_size)
        """Each entry with its SSE frame, encoded once for every client."""
        self._unacked = 0
        self._dedupe = IdWindow(dedupe_window)
        self._duplicates = IdWindow(dedupe_window)
        self.head = 0
        """The highest position this replica has read."""
        self.signal = LogSignal()
        self._channel: AbstractChannel | None = None

    async def start(self) -> None:
        """Attach to the stream's last chunk (which tells the head), then follow it."""
        self._channel = await self._broker.new_channel(prefetch=1000)
        # Declared (passively): the robust channel then re-attaches after a lost connection.
        stream = await self._channel.get_queue(LOG_STREAM, ensure=True)
        await stream.consume(self._on_message, arguments={"x-stream-offset": "last"})

    async def stop(self) -> None:
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()
            self._channel = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # Everything before the ack's await: each message's task runs this part in the order
        # the messages came, so the ring stays in offset order.
        self._take(message)
        self._unacked += 1
        if self._unacked >= ACK_EVERY:
            self._unacked = 0
            await message.ack(multiple=True)  # every message before it was taken already

    def _take(self, message: AbstractIncomingMessage) -> None:
        position = stream_position(message)
        if position <= self.head:
            return  # re-read after a reconnect
        self.head = position
        entry = self._decode(message, position)
        if entry is not None:
            self._ring.append(entry, sse_frame(entry))
            EVENTS_LOGGED.labels(service=SERVICE, type=entry.type).inc()
        self.signal.notify()

    def _decode(self, message: AbstractIncomingMessage, position: int) -> LoggedEvent | None:
        """The entry, or None for a body that is not an event or a duplicate id."""
        entry, why = LoggedEvent.from_message(position, message)
        if entry is None:
            LOG_SKIPPED.labels(service=SERVICE, reason=why).inc()
            return None
        if self._is_duplicate(entry):
            LOG_SKIPPED.labels(service=SERVICE, reason="duplicate").inc()
            return None
        return entry

    def _is_duplicate(self, entry: LoggedEvent) -> bool:
        first = self._dedupe.first_position(entry.id, entry.position)
        if first != entry.position:
            self._duplicates.first_position(str(entry.position), entry.position)
            return True
        return False

    # --- reading ----------------------------------------------------------------------------

    def covers(self, after: int) -> bool:
        """Whether the ring holds everything after position ``after``."""
        first = self._ring.first_position
        if first is None:
            return after >= self.head
        return after >= first - 1

    def frames_after(
        self, after: int, limit: int, keep: Keep
    ) -> tuple[list[bytes | memoryview], int, int] | None:
        """From the ring, without awaiting: up to ``limit`` SSE frames of entries after
        ``after`` of types that ``keep``, the position of the last one, and how far it read;
        None when the ring does not hold everything after ``after`` (read ``read_after``)."""
        if not self.covers(after):
            return None
        frames: list[bytes | memoryview] = []
        sent_to = read_to = after
        for block, index in self._ring.after(after):
            read_to = block.positions[index]
            if keep is None or keep(block.type(index)):
                frames.append(block.frame(index))
                sent_to = read_to
                if len(frames) >= limit:
                    return frames, sent_to, read_to
        return frames, sent_to, max(read_to, self.head)

    async def read_after(self, after: int, limit: int, keep: Keep) -> tuple[list[LoggedEvent], int]:
        """Up to ``limit`` entries after ``after`` of types that ``keep``; and how far it
        read."""
        stop, from_ring = self.head, self.covers(after)
        found: list[LoggedEvent] = []
        read_to = after
        async with contextlib.aclosing(self.entries(after)) as entries:
            async for position, entry in entries:
                read_to = position
                if entry is not None and (keep is None or keep(entry.type)):
                    found.append(entry)
                    if len(found) >= limit:
                        return found, read_to
        if from_ring or read_to >= stop:
            read_to = max(read_to, stop)  # skipped entries up to the head are passed too
        return found, read_to

    async def entries(
        self, after: int, since: datetime | None = None
    ) -> AsyncGenerator[tuple[int, LoggedEvent | None]]:
        """Positions after ``after`` up to the head now, in order (None: skipped entry)."""
        stop = self.head
        if after >= stop:
            return
        if self.covers(after) and (since is None or self._ring_reaches(since)):
            for block, index in self._ring.after(after):
                position = block.positions[index]
                if position > stop:
                    return
                yield position, block.entry(index)
            return
        begin: StreamStart = after if since is None else since - TIMESTAMP_MARGIN
        async for item in self._from_stream(begin, after, stop):
            yield item

    def _ring_reaches(self, since: datetime) -> bool:
        first = self._ring.first_logged_at()
        return first is not None and first <= since

    async def _from_stream(
        self, begin: StreamStart, after: int, stop: int
    ) -> AsyncGenerator[tuple[int, LoggedEvent | None]]:
        seen: set[str] = set()
        async with self._broker.read_stream(begin) as received:
            while True:
                try:
                    message = await asyncio.wait_for(received.get(), STREAM_IDLE_SECONDS)
                except TimeoutError:
                    return
                position = stream_position(message)
                if position <= after:
                    continue
                entry, _ = LoggedEvent.from_message(position, message)
                if entry is not None and (entry.id in seen or self._known_duplicate(position)):
                    entry = None
                elif entry is not None:
                    seen.add(entry.id)
                yield position, entry
                if position >= stop:
                    return

    def _known_duplicate(self, position: int) -> bool:
        return str(position) in self._duplicates

    async def page(
        self, filters: EventLogFilter, limit: int, cursor: str | None, after: int | None
    ) -> Page[LoggedEvent]:
        """One page of the log in position order; the cursor is the last position given."""
        start = after or 0
        if cursor:
            start = max(start, _cursor_position(cursor))
        since = filters.since if start == 0 else None
        items: list[LoggedEvent] = []
        async with contextlib.aclosing(self.entries(start, since)) as entries:
            async for _, entry in entries:
                if entry is not None and filters.matches(entry):
                    items.append(entry)
                    if len(items) > limit:
                        break
        next_cursor = encode_cursor(str(items[limit - 1].position)) if len(items) > limit else None
        return Page[LoggedEvent](items=items[:limit], next_cursor=next_cursor)

    async def find(self, event_id: str, around: datetime | None) -> LoggedEvent | None:
        """The entry of ``event_id``, read from the stream from shortly before ``around``."""
        since = None if around is None else around - timedelta(minutes=1)
        async with contextlib.aclosing(self.entries(0, since)) as entries:
            async for _, entry in entries:
                if entry is not None and entry.id == event_id:
                    return entry
        return None


def sse_frame(entry: LoggedEvent) -> bytes:
    """The Server-Sent Event of an entry: ``id`` its position, ``event`` its type, ``data``
    the CloudEvent as published."""
    return ServerSentEvent(
        id=str(entry.position), event=entry.type, data=entry.body().decode()
    ).encode()


def _cursor_position(cursor: str) -> int:
    return parse_position(decode_cursor(cursor), "cursor")
