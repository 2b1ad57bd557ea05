"""Agencies in MongoDB (``mpp_agency.agencies``), with their events in the outbox."""

from __future__ import annotations

import re

from services.agency.domain import Agency, AgencyFilter
from shared.outbox import AggregateStore
from shared.pagination import Page, PageRequest, fetch_page
from shared.repository import Repository
from shared.storage import ASCENDING

COLLECTION = "agencies"


class AgencyRepository(Repository[Agency]):
    def __init__(self, store: AggregateStore) -> None:
        super().__init__(
            store, Agency, "agency", duplicate_message="an agency with this code exists"
        )

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("code", ASCENDING)], unique=True)
        await self.collection.create_index([("kind", ASCENDING), ("status", ASCENDING)])

    async def list(self, filters: AgencyFilter, page: PageRequest) -> Page[Agency]:
        query = filters.equal_at(kind="kind", status="status")
        if filters.code:
            query["code"] = filters.code.upper()
        if filters.q:
            pattern = {"$regex": re.escape(filters.q), "$options": "i"}
            query["$or"] = [{"code": pattern}, {"name": pattern}, {"acronym": pattern}]
        return await fetch_page(self.collection, query, page, self._from_document)
