"""Recent event ids, to drop a republished event: fixed tables of digests, no object per id.

A window of 100,000 ids kept as a dict held an id string and a node per id (170 bytes each),
made one by one as events came: made while live-feed clients were connected, they sat in the
gaps of the clients' memory and kept those pages resident after the clients left. Here the
ids are 64-bit digests in two open-addressing tables of fixed size, allocated once each.
"""

from __future__ import annotations

import hashlib
from array import array

LOAD = 0.5
"""At most this share of a table's slots is used: a probe finds a free slot in ~2 steps."""


class IdWindow:
    """The ids seen lately and the position each was first seen at.

    It remembers at least the last ``size`` ids and at most the last 2 x ``size``: ids go
    into the current table; when that holds ``size``, it becomes the previous one and the
    one before it is dropped whole. Two different ids share a 64-bit digest with odds of
    about ``size`` in 2**64 per id (the later one would be taken for a duplicate).

    Args:
        size: ids remembered at least.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._slots = _slots_for(size)
        self._current: _DigestTable | None = None
        """Made at the first id: a window that never sees one (duplicates) costs nothing."""
        self._previous: _DigestTable | None = None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(_digest(key)) is not None

    def first_position(self, key: str, position: int) -> int:
        """Where ``key`` was first seen; records ``position`` when it is new."""
        digest = _digest(key)
        seen = self._find(digest)
        if seen is not None:
            return seen
        if self._current is None:
            self._current = _DigestTable(self._slots)
        elif self._current.count >= self._size:
            self._previous, self._current = self._current, _DigestTable(self._slots)
        self._current.put(digest, position)
        return position

    def _find(self, digest: int) -> int | None:
        for table in (self._current, self._previous):
            if table is not None and (seen := table.get(digest)) is not None:
                return seen
        return None


class _DigestTable:
    """Linear probing over two arrays: digests (0 = empty) and positions."""

    __slots__ = ("_digests", "_mask", "_positions", "count")

    def __init__(self, slots: int) -> None:
        self._digests = array("q", [0]) * slots
        self._positions = array("q", [0]) * slots
        self._mask = slots - 1
        self.count = 0

    def get(self, digest: int) -> int | None:
        digests, mask = self._digests, self._mask
        slot = digest & mask
        while (found := digests[slot]) != 0:
            if found == digest:
                return self._positions[slot]
            slot = (slot + 1) & mask
        return None

    def put(self, digest: int, position: int) -> None:
        """Record a digest that is not in the table yet."""
        digests, mask = self._digests, self._mask
        slot = digest & mask
        while digests[slot] != 0:
            slot = (slot + 1) & mask
        digests[slot] = digest
        self._positions[slot] = position
        self.count += 1


def _slots_for(size: int) -> int:
    slots = 8
    while slots * LOAD < size:
        slots *= 2
    return slots


def _digest(key: str) -> int:
    """A signed 64-bit digest of ``key``, never 0 (0 marks an empty slot)."""
    raw = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(raw, "little", signed=True) or 1
