"""A subscription's deliveries a page at a time, read by keyset over their first attempts.

A delivery has no document of its own: the delivery path writes one document per attempt and
nothing else (its CPU per delivery is what bounds throughput). So the view pages over each
delivery's *first attempt*, the document with ``attempt.number == 1``, in ``(seq, _id)``
order on the index ``(subscription_id, attempt.number, seq, _id)``, then reads the attempts of
just that page's deliveries with one ``$in`` on ``delivery_id``. ``seq`` is the write time to
the millisecond, which many attempts share; the driver's ``_id`` (an ObjectId: seconds, then a
per-process counter) breaks the tie in write order, as the unpaged view used to.

How attempts are numbered makes this list every delivery once: a live delivery's first try
is 1 and each scheduled retry carries the count on in its message headers (2, 3, ...); ``POST
/deliveries/{id}/retry`` continues the same delivery's count (``attempt_count`` + 1, origin
``retry``), so it never records a second 1; a replay is a delivery of its own (its id names
the replay) starting at 1. A broker redelivery after a crash, or an event republished outside
the dedupe window, can record attempt 1 of a delivery twice: the delivery is listed at its
earliest one and the later ones are skipped. A delivery whose first-attempt record is gone
(lost with a crash before its flush, dropped beyond ``MAX_PENDING``, or expired before its
later attempts) is not listed; ``GET /deliveries/{id}`` still shows it.

A status is the last attempt's outcome, which no index holds: a filtered page scans at most
``SCAN_BUDGET`` pages' worth of first attempts and may come back short, even empty, with a
``next_cursor`` to go on from (as DynamoDB's and Stripe's filtered listings do).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from bson import ObjectId

from shared.errors import RuleViolated
from shared.pagination import PageRequest, decode_cursor, encode_cursor
from shared.storage import ASCENDING, Collection

SCAN_BUDGET = 10
"""First attempts one page may scan, in multiples of its ``limit`` (10 x limit): bounds what a
status filter that matches little reads per request; the client follows ``next_cursor``."""

FIRST_ATTEMPT_INDEX = [
    ("subscription_id", ASCENDING),
    ("attempt.number", ASCENDING),
    ("seq", ASCENDING),
    ("_id", ASCENDING),
]
"""What the page query filters and sorts on, in that order (``AttemptLog.ensure_indexes``)."""


_ORDER = [("seq", ASCENDING), ("_id", ASCENDING)]


class Listed(Protocol):
    """What paging needs of a delivery (``deliveries.Delivery``, which imports this module)."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...


D = TypeVar("D", bound=Listed)
Build = Callable[[list[dict[str, Any]]], D]
"""A delivery from its attempt documents, oldest first (``Delivery.of``)."""

Position = tuple[float, ObjectId]
"""A first attempt's place in the order: ``(seq, _id)`` (seq alone often collides)."""

_POSITION = re.compile(r"([0-9]{1,20}(?:\.[0-9]{1,20})?(?:e[-+]?[0-9]{1,3})?) ([0-9a-f]{24})")


def encode_position(position: Position) -> str:
    """The opaque cursor for ``position`` (``repr`` keeps a float exact)."""
    seq, object_id = position
    return encode_cursor(f"{float(seq)!r} {object_id}")


def decode_position(cursor: str) -> Position:
    """The position a cursor of ours names; anything else is a 422 naming ``cursor``."""
    found = _POSITION.fullmatch(decode_cursor(cursor))
    if found is None:
        raise RuleViolated("is not a cursor this service issued", field="cursor")
    return float(found[1]), ObjectId(found[2])


async def read_page(
    collection: Collection,
    build: Build[D],
    subscription_id: str,
    status: str | None,
    page: PageRequest,
) -> tuple[list[D], str | None]:
    """Up to ``page.limit`` deliveries after the cursor, by first attempt, and the cursor of
    the next page (None once nothing may follow); see the module."""
    after = decode_position(page.cursor) if page.cursor else None
    budget = page.limit * SCAN_BUDGET
    items: list[D] = []
    more = True
    while more and budget > 0 and len(items) < page.limit:
        size = min(page.limit, budget)
        firsts = await _first_attempts(collection, subscription_id, after, size + 1)
        more = len(firsts) > size
        batch = await _deliveries(collection, build, firsts[:size])
        for n, (first, delivery) in enumerate(batch, start=1):
            budget -= 1
            after = (first["seq"], first["_id"])
            if delivery is None:
                continue  # not this delivery's earliest first attempt
            if status is not None and delivery.status != status:
                continue
            items.append(delivery)
            if len(items) == page.limit:
                more = more or n < len(batch)
                break
    return items, encode_position(after) if more and after is not None else None


async def _first_attempts(
    collection: Collection, subscription_id: str, after: Position | None, limit: int
) -> list[dict[str, Any]]:
    """The next ``limit`` first attempts after ``after``: their place and delivery id only."""
    query: dict[str, Any] = {"subscription_id": subscription_id, "attempt.number": 1}
    if after is not None:
        seq, object_id = after
        query["seq"] = {"$gte": seq}  # the index range; the $or drops the ties already seen
        query["$or"] = [{"seq": {"$gt": seq}}, {"_id": {"$gt": object_id}}]
    found = collection.find(query, {"_id": 1, "seq": 1, "delivery_id": 1})
    ordered = found.sort(_ORDER).limit(limit)
    return await ordered.to_list(None)


async def _deliveries(
    collection: Collection, build: Build[D], firsts: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], D | None]]:
    """Each first attempt with its delivery, or None where it is not the delivery's earliest
    first attempt (attempt 1 redelivered) or the delivery expired meanwhile."""
    if not firsts:
        return []
    ids = list(dict.fromkeys(first["delivery_id"] for first in firsts))
    records = await collection.find({"delivery_id": {"$in": ids}}).sort(_ORDER).to_list(None)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["delivery_id"], []).append(record)
    found: list[tuple[dict[str, Any], D | None]] = []
    for first in firsts:
        group = grouped.get(first["delivery_id"], [])
        earliest = next((r for r in group if r["attempt"]["number"] == 1), None)
        anchored = earliest is not None and earliest["_id"] == first["_id"]
        found.append((first, build(group) if anchored else None))
    return found
