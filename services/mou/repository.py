"""MoUs in MongoDB (``mpp_mou.mous``), with their events in the outbox."""

from __future__ import annotations

import builtins
from datetime import date

from services.mou.domain import Mou, MouFilter
from shared.outbox import AggregateStore
from shared.pagination import Page, PageRequest, fetch_page
from shared.repository import Repository
from shared.storage import ASCENDING

COLLECTION = "mous"


class MouRepository(Repository[Mou]):
    def __init__(self, store: AggregateStore) -> None:
        super().__init__(store, Mou, "mou", duplicate_message="an MoU with this number exists")

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("number", ASCENDING)],
            unique=True,
            partialFilterExpression={"number": {"$type": "string"}},
        )
        await self.collection.create_index([("status", ASCENDING), ("valid_until", ASCENDING)])
        await self.collection.create_index([("parties.agency_id", ASCENDING)])

    async def list(self, filters: MouFilter, page: PageRequest) -> Page[Mou]:
        query = filters.equal_at(status="status")
        if filters.party:
            # An agency id, or (for people) an agency code such as KEMENDAGRI.
            query["$or"] = [
                {"parties.agency_id": filters.party},
                {"parties.code": filters.party.upper()},
            ]
        return await fetch_page(self.collection, query, page, self._from_document)

    async def ids_due_to_expire(self, today: date, limit: int = 500) -> builtins.list[str]:
        """Ids of MoUs in force whose ``valid_until`` (stored as YYYY-MM-DD) is before ``today``."""
        cursor = self.collection.find(
            {"status": "signed", "valid_until": {"$ne": None, "$lt": today.isoformat()}},
            {"_id": 1},
        )
        return [doc["_id"] for doc in await cursor.sort("_id", ASCENDING).to_list(limit)]
