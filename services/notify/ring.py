"""The live ring's storage: the newest entries of the log packed into large blocks.

An entry kept as objects (a model, its strings and times, its body, its SSE frame, its place
in a frame cache) was a dozen small allocations living as long as the ring kept it. Made
while live-feed clients were connected, they landed in the gaps of the clients' memory and
kept those pages resident after the clients left. Here an entry is a run of bytes in a block
of ``BLOCK_BYTES`` and a row of integers beside it; it becomes a ``LoggedEvent`` again only
when a page or a replay reads it.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from services.notify.eventlog import LoggedEvent

BLOCK_BYTES = 512 * 1024
BLOCK_ENTRIES = 512
"""Entries per block at most: a ring drops whole blocks, so it holds up to this many more
than its size (a small ring gets blocks of an eighth of its size)."""
ENTRY_BYTES = 1024
"""Room per entry in a block made smaller than ``BLOCK_BYTES`` (an event is ~1 KiB here)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# An entry's row: where its frame starts in the block and where each piece ends (each starts
# where the one before ends), its two times in microseconds since the epoch, and whether it
# has a time and a publisher.
FRAME_START, FRAME_END, BODY_END, ID_END, SUBJECT_END, TYPE_END, PUBLISHER_END = range(7)
LOGGED_AT, TIME, HAS_TIME, HAS_PUBLISHER = range(7, 11)
FIELDS = 11


class RingBlock:
    """Up to ``capacity`` entries, their bytes back to back in one buffer of ``size``."""

    __slots__ = ("capacity", "count", "data", "positions", "rows", "used", "view")

    def __init__(self, capacity: int, size: int) -> None:
        self.capacity = capacity
        self.data = bytearray(size)
        self.view = memoryview(self.data)
        """Frames are read as slices of it: no copy until a stream joins what it sends."""
        self.used = 0
        self.count = 0
        self.positions = array("q", [0]) * capacity
        self.rows = array("q", [0]) * (capacity * FIELDS)

    def fits(self, size: int) -> bool:
        return self.count < self.capacity and self.used + size <= len(self.data)

    def add(self, entry: LoggedEvent, pieces: tuple[bytes, ...]) -> None:
        """Append an entry whose ``pieces`` (``_pieces``) fit."""
        row = self.count * FIELDS
        self.rows[row + FRAME_START] = at = self.used
        for field, piece in enumerate(pieces, start=FRAME_END):
            end = at + len(piece)
            self.view[at:end] = piece
            self.rows[row + field] = at = end
        self.rows[row + LOGGED_AT] = _microseconds(entry.logged_at)
        self.rows[row + HAS_TIME] = entry.time is not None
        self.rows[row + TIME] = 0 if entry.time is None else _microseconds(entry.time)
        self.rows[row + HAS_PUBLISHER] = entry.publisher is not None
        self.positions[self.count] = entry.position
        self.used = at
        self.count += 1

    def frame(self, index: int) -> memoryview:
        row = index * FIELDS
        return self.view[self.rows[row + FRAME_START] : self.rows[row + FRAME_END]]

    def type(self, index: int) -> str:
        return self._text(index, TYPE_END)

    def logged_at(self, index: int) -> datetime:
        return EPOCH + self.rows[index * FIELDS + LOGGED_AT] * MICROSECOND

    def entry(self, index: int) -> LoggedEvent:
        """The entry as it was logged (made anew: the block keeps none)."""
        rows, row = self.rows, index * FIELDS
        return LoggedEvent.restore(
            self.positions[index],
            self.logged_at(index),
            bytes(self.view[rows[row + FRAME_END] : rows[row + BODY_END]]),
            event_id=self._text(index, ID_END),
            event_type=self._text(index, TYPE_END),
            subject=self._text(index, SUBJECT_END),
            time=EPOCH + rows[row + TIME] * MICROSECOND if rows[row + HAS_TIME] else None,
            publisher=self._text(index, PUBLISHER_END) if rows[row + HAS_PUBLISHER] else None,
        )

    def _text(self, index: int, end_field: int) -> str:
        row = index * FIELDS
        return str(self.view[self.rows[row + end_field - 1] : self.rows[row + end_field]], "utf-8")


class LogRing:
    """The newest entries in position order; it keeps at least ``size`` of them.

    Whole blocks go when the newer ones hold ``size`` entries, so a reader that holds a block
    (``after``) reads it to its end even while the ring moves on.

    Args:
        size: entries kept at least.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._capacity = min(BLOCK_ENTRIES, max(1, size // 8))
        self._block_bytes = min(BLOCK_BYTES, self._capacity * ENTRY_BYTES)
        self._blocks: list[RingBlock] = []
        self._firsts: list[int] = []
        """The first position of each block, for bisecting."""
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def first_position(self) -> int | None:
        return self._firsts[0] if self._firsts else None

    def first_logged_at(self) -> datetime | None:
        return self._blocks[0].logged_at(0) if self._blocks else None

    def append(self, entry: LoggedEvent, frame: bytes) -> None:
        """Add the newest entry (positions only grow), then drop what is no longer needed."""
        pieces = _pieces(entry, frame)
        size = sum(len(piece) for piece in pieces)
        if not self._blocks or not self._blocks[-1].fits(size):
            block_bytes = max(self._block_bytes, size)
            self._blocks.append(RingBlock(self._capacity, block_bytes))
            self._firsts.append(entry.position)
        self._blocks[-1].add(entry, pieces)
        self._count += 1
        while self._count - self._blocks[0].count >= self._size:
            self._count -= self._blocks.pop(0).count
            self._firsts.pop(0)

    def after(self, position: int) -> Iterator[tuple[RingBlock, int]]:
        """Each entry after ``position``, as its block and index, oldest first: the blocks
        held now, read to their ends as they fill."""
        start = bisect.bisect_right(self._firsts, position) - 1
        return _walk(self._blocks[max(start, 0) :], position)


def _walk(blocks: list[RingBlock], position: int) -> Iterator[tuple[RingBlock, int]]:
    for number, block in enumerate(blocks):
        index = 0
        if number == 0:
            index = bisect.bisect_right(block.positions, position, 0, block.count)
        while index < block.count:
            yield block, index
            index += 1


def _pieces(entry: LoggedEvent, frame: bytes) -> tuple[bytes, ...]:
    """An entry's bytes in the order of its row's ``*_END`` fields."""
    return (
        frame,
        entry.body(),
        entry.id.encode(),
        entry.subject.encode(),
        entry.type.encode(),
        (entry.publisher or "").encode(),
    )


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND
