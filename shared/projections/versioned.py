"""The one write every projection makes: keep a record only if the event is newer."""

from __future__ import annotations

import contextlib
from typing import Any

from shared.storage import Collection, DuplicateKeyError


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
