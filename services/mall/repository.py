"""Malls in MongoDB (``mpp_mall.malls``), with their events in the outbox.

At most one mall that is not closed per regency: every stored mall carries
``_active_regency``, its regency code while it is not closed and null once it is, under a
unique index that covers string values only (a partial index: closed malls never clash).
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Any

from pydantic import BaseModel

from services.mall.domain import STATUSES, Mall, MallFilter
from services.mall.regions import PROVINCES
from services.mall.stats import DatedMall, ProvinceCoverage, coverage
from shared.outbox import AggregateStore
from shared.pagination import Page, PageRequest, fetch_page
from shared.repository import Repository
from shared.storage import ASCENDING

COLLECTION = "malls"
ACTIVE_REGENCY = "_active_regency"


def active_regency(state: dict[str, Any]) -> dict[str, str | None]:
    """``_active_regency`` of a stored mall: its regency code unless the mall is closed."""
    region = state.get("region") or {}
    code = region.get("regency_code")
    held = str(code) if code and state.get("status") != "closed" else None
    return {ACTIVE_REGENCY: held}


class ProvinceCount(BaseModel):
    province_code: str
    province_name: str
    count: int


class MallStats(BaseModel):
    """The programme's figures ("56 malls by May 2022")."""

    total: int
    by_status: dict[str, int]
    by_province: list[ProvinceCount]
    counters: int
    """Open counters in malls that are not closed."""
    agencies: int
    """Distinct agencies with an open counter in a mall that is not closed."""
    coverage: list[ProvinceCoverage] = []
    """Every province: its malls against the regencies and cities Kemendagri lists."""


class MallRepository(Repository[Mall]):
    def __init__(self, store: AggregateStore) -> None:
        super().__init__(
            store.deriving(active_regency),
            Mall,
            "mall",
            duplicate_message="a mall that is not closed already exists for this regency",
        )

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [(ACTIVE_REGENCY, ASCENDING)],
            unique=True,
            partialFilterExpression={ACTIVE_REGENCY: {"$type": "string"}},
            name="one_open_mall_per_regency",
        )
        await self.collection.create_index(
            [("region.province_code", ASCENDING), ("status", ASCENDING)]
        )
        await self.collection.create_index([("status", ASCENDING)])
        await self.collection.create_index([("counters.agency_id", ASCENDING)])

    async def active_in_regency(self, regency_code: str) -> Mall | None:
        """The mall that is not closed in ``regency_code``, if any."""
        return await self.find_one({ACTIVE_REGENCY: regency_code})

    async def with_counter_of(self, agency_id: str) -> list[str]:
        """The ids of the malls, not closed, where ``agency_id`` has a counter."""
        cursor = self.collection.find(
            {"counters.agency_id": agency_id, "status": {"$ne": "closed"}}, {"_id": 1}
        )
        return [document["_id"] async for document in cursor]

    async def list(self, filters: MallFilter, page: PageRequest) -> Page[Mall]:
        query = filters.equal_at(
            status="status",
            province_code="region.province_code",
            regency_code="region.regency_code",
        )
        return await fetch_page(self.collection, query, page, self._from_document)

    async def stats(self) -> MallStats:
        """Counts by status and province, and the counters and agencies in malls not closed."""
        by_status: Tally[str] = Tally()
        by_province: Tally[str] = Tally()
        counters = 0
        agencies: set[str] = set()
        active: list[tuple[str, str]] = []
        cursor = self.collection.find(
            {},
            {
                "status": 1,
                "region.province_code": 1,
                "region.regency_code": 1,
                "counters.agency_id": 1,
            },
        )
        async for document in cursor:
            status = document.get("status", "planned")
            by_status[status] += 1
            region = document["region"]
            by_province[region["province_code"]] += 1
            if status != "closed":
                active.append((region["province_code"], region["regency_code"]))
                open_counters = document.get("counters") or []
                counters += len(open_counters)
                agencies.update(c["agency_id"] for c in open_counters)
        return MallStats(
            total=sum(by_status.values()),
            by_status={status: by_status.get(status, 0) for status in STATUSES},
            by_province=[
                ProvinceCount(province_code=code, province_name=PROVINCES.get(code, code), count=n)
                for code, n in sorted(by_province.items())
            ],
            counters=counters,
            agencies=len(agencies),
            coverage=coverage(active),
        )

    async def dated(self) -> tuple[DatedMall, ...]:
        """Every mall's recorded dates, for the timeline."""
        fields = ("created_at", "opened_at", "inaugurated_at", "closed_at")
        cursor = self.collection.find({}, dict.fromkeys(fields, 1))
        return tuple([DatedMall.model_validate(document) async for document in cursor])

    async def regencies_with_mall(self, province_code: str | None = None) -> set[str]:
        """The regency codes (a province's own, for a province-level mall) that have a mall
        that is not closed, in one province or everywhere."""
        query: dict[str, Any] = {ACTIVE_REGENCY: {"$type": "string"}}
        if province_code is not None:
            query["region.province_code"] = province_code
        cursor = self.collection.find(query, {ACTIVE_REGENCY: 1})
        return {document[ACTIVE_REGENCY] async for document in cursor}
