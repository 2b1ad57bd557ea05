"""The programme's figures as Prometheus gauges: malls by status and province, open counters.

Read from the mall store at each scrape (a few hundred small documents); every replica reports
the same figures, so dashboards take ``max`` over replicas, never ``sum``.
"""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import Gauge

from services.mall import SERVICE
from services.mall.regions import PROVINCES
from services.mall.repository import MallRepository

MALLS = Gauge(
    "mpp_malls",
    "Public Service Malls by lifecycle status and province (province name).",
    ["service", "status", "province"],
)
OPEN_COUNTERS = Gauge(
    "mpp_mall_open_counters",
    "Agency counters open in malls that are not closed, by province.",
    ["service", "province"],
)
AGENCIES_WITH_COUNTERS = Gauge(
    "mpp_mall_agencies_with_counters",
    "Distinct agencies with an open counter in a mall that is not closed.",
    ["service"],
)


async def record_programme_figures(malls: MallRepository) -> None:
    """Set the gauges from the store, dropping provinces or statuses no longer present."""
    by_status_province: Tally[tuple[str, str]] = Tally()
    counters: Tally[str] = Tally()
    agencies: set[str] = set()
    cursor = malls.collection.find(
        {}, {"status": 1, "region.province_code": 1, "counters.agency_id": 1}
    )
    async for document in cursor:
        status = document.get("status", "planned")
        code = document["region"]["province_code"]
        province = PROVINCES.get(code, code)
        by_status_province[status, province] += 1
        if status != "closed":
            open_counters = document.get("counters") or []
            counters[province] += len(open_counters)
            agencies.update(c["agency_id"] for c in open_counters)
    MALLS.clear()
    for (status, province), count in by_status_province.items():
        MALLS.labels(SERVICE, status, province).set(count)
    OPEN_COUNTERS.clear()
    for province, count in counters.items():
        OPEN_COUNTERS.labels(SERVICE, province).set(count)
    AGENCIES_WITH_COUNTERS.labels(SERVICE).set(len(agencies))
