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

    log.warning(
        "storage.in_memory",
        database=database,
        detail="MONGODB_URL is unset: using an in-process store; nothing survives a restart",
    )
    client = AsyncMongoMockClient(tz_aware=True)
    return Storage(client=client, db=client[database], durable=False)
