"""The one place that knows the MongoDB driver.

Services get a ``Database`` from here and use only what both MongoDB and mongomock support:
single-document atomic updates, no multi-document transactions. Moving from Motor to
PyMongo's ``AsyncMongoClient`` is a change to this module alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.logging import get_logger

Database = AsyncIOMotorDatabase[dict[str, Any]]
Collection = AsyncIOMotorCollection[dict[str, Any]]

__all__ = [
    "ASCENDING",
    "DESCENDING",
    "Collection",
    "Database",
    "DuplicateKeyError",
    "PyMongoError",
    "ReturnDocument",
    "Storage",
    "connect",
]

log = get_logger(__name__)

_in_memory_clients: dict[str, Any] = {}


@dataclass
class Storage:
    """A connected database and how to check and close it."""

    client: Any
    db: Database
    durable: bool
    keep_open: bool = False
    """Set by whoever shares one store between several service lifetimes (tests)."""

    async def ping(self) -> bool:
        """Whether the database answers now."""
        try:
            await self.db.command("ping")
        except Exception:  # any driver failure means "not ready"
            return False
        return True

    def close(self) -> None:
        if self.durable and not self.keep_open:
            self.client.close()


def connect(url: str | None, database: str, *, timeout_ms: int = 5000) -> Storage:
    """Connect to ``database`` at ``url``; with no URL, an in-process store that keeps nothing.

    Args:
        url: a ``mongodb://`` URL, or None for mongomock-motor (tests, demos).
        database: the service's own database, e.g. ``mpp_agency``.
        timeout_ms: how long a request waits for a reachable server before failing.
    """
    if url:
        client: Any = AsyncIOMotorClient(
            url, serverSelectionTimeoutMS=timeout_ms, tz_aware=True, uuidRepresentation="standard"
        )
        return Storage(client=client, db=client[database], durable=True)

    from mongomock_motor import AsyncMongoMockClient

    _find_by_id_directly()
    _normalise_dates_quickly()
    log.warning(
        "storage.in_memory",
        database=database,
        detail="MONGODB_URL is unset: using an in-process store; nothing survives a restart",
    )
    client = AsyncMongoMockClient(tz_aware=True)
    return Storage(client=client, db=client[database], durable=False)


def _ids_asked_for(query: Any) -> list[Any] | None:
    """The ``_id`` values a query names outright (``{"_id": x}``, ``{"_id": {"$in": [...]}}``),
    strings and integers only; None when it names none that way."""
    if not isinstance(query, dict) or "_id" not in query:
        return None
    wanted = query["_id"]
    if isinstance(wanted, dict):
        if set(wanted) != {"$in"} or not isinstance(wanted["$in"], list | tuple):
            return None
        wanted = wanted["$in"]
    else:
        wanted = [wanted]
    if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in wanted):
        return None
    return list(dict.fromkeys(wanted))


def _find_by_id_directly() -> None:
    """Make the in-process store look documents up by ``_id`` instead of scanning them all.

    mongomock tests every document against every query: at 4,000 documents an update by
    ``_id`` took 30 ms and a find by ``$in`` 45 ms, so every write grew slower with the
    collection (a soak at 10 writes/s fell behind after 4,200 agencies). A query that names
    its ``_id`` values now tests only those documents; MongoDB uses its ``_id`` index for the
    same. Without an ``_id`` the query still scans; results come in the order the ids are
    named, which no caller relies on (MongoDB promises no order without a sort either).
    """
    from mongomock.collection import Collection as MockCollection
    from mongomock.filtering import filter_applies

    scan = MockCollection._iter_documents
    if getattr(scan, "by_id", False):
        return

    def iter_documents(self: Any, query: Any) -> Any:
        ids = _ids_asked_for(query)
        if ids is None:
            return scan(self, query)
        store = self._store
        found = [store[i] for i in ids if i in store]
        return (document for document in found if filter_applies(query, document))

    iter_documents.by_id = True  # type: ignore[attr-defined]
    MockCollection._iter_documents = iter_documents  # type: ignore[method-assign]


_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def _normalise_dates_quickly() -> None:
    """Make the in-process store's date normalisation skip what holds no date.

    mongomock rewrites every document it is given (aware datetimes to naive UTC milliseconds,
    as MongoDB stores them) by testing each value against six types, dates or not: on
    notify's hot path that walk was 8 % of its CPU, the largest single part of an attempt
    record's insert. Plain values, dicts and lists are now recognised by their exact type
    and everything else still goes through mongomock's own function, so the result is the
    same.
    """
    from mongomock import helpers

    normalise = helpers.patch_datetime_awareness_in_document
    if getattr(normalise, "quick", False):
        return

    def quickly(value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is dict:
            return {key: quickly(item) for key, item in value.items()}
        if kind is list:
            return [quickly(item) for item in value]
        return normalise(value)  # its own recursion comes back here: the module's name

    quickly.quick = True  # type: ignore[attr-defined]
    helpers.patch_datetime_awareness_in_document = quickly
