"""What every projection is: records of another service's aggregates, one each, kept only
if the event is newer than what is held."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from shared.storage import Collection, Database, DuplicateKeyError

R = TypeVar("R", bound=BaseModel)


async def upsert_if_newer(collection: Collection, record_id: str, state: dict[str, Any]) -> bool:
    """Store ``state`` (which carries ``version``) unless a newer or equal version is held.

    Redelivered and late events never roll a projection back. Returns whether it was stored.
    """
    result = await collection.update_one(
        {"_id": record_id, "version": {"$lt": state["version"]}}, {"$set": state}
    )
    if result.matched_count:
        return True
    # A duplicate key means we already hold this version or a newer one.
    with contextlib.suppress(DuplicateKeyError):
        await collection.insert_one({"_id": record_id, **state})
        return True
    return False


class VersionedProjection(Generic[R]):
    """A service's own records of another service's aggregates, learned from their events.

    Args:
        db: the owning service's database.
        collection: where the projection lives; ``default_collection`` unless given.
    """

    default_collection: ClassVar[str]
    record_model: type[R]
    """The record as the service reads it; its ``id_field`` is the stored ``_id``."""
    id_field: ClassVar[str]

    def __init__(self, db: Database, collection: str | None = None) -> None:
        self._collection = db[collection or self.default_collection]

    async def _store(self, record_id: str, state: dict[str, Any]) -> bool:
        return await upsert_if_newer(self._collection, record_id, state)

    def _record(self, document: dict[str, Any]) -> R:
        return self.record_model.model_validate({**document, self.id_field: document["_id"]})

    async def get(self, record_id: str) -> R | None:
        document = await self._collection.find_one({"_id": record_id})
        return None if document is None else self._record(document)
