"""MoUs by status as Prometheus gauges (``mpp_mous_in_force`` is the signed ones).

Read from the MoU store at each scrape; every replica reports the same figures, so
dashboards take ``max`` over replicas.
"""

from __future__ import annotations

from typing import get_args

from prometheus_client import Gauge

from services.mou import SERVICE
from services.mou.repository import MouRepository
from shared.events.catalogue import MouStatus

MOUS = Gauge("mpp_mous", "MoUs by status.", ["service", "status"])
MOUS_IN_FORCE = Gauge(
    "mpp_mous_in_force", "MoUs signed by every party and not expired or terminated.", ["service"]
)


async def record_mou_figures(mous: MouRepository) -> None:
    """Set the gauges from one grouped count of the MoU store."""
    pipeline = [{"$group": {"_id": "$status", "count": {"$sum": 1}}}]
    counts = {row["_id"]: row["count"] async for row in mous.collection.aggregate(pipeline)}
    for status in get_args(MouStatus):  # every status, zeros too: a dashboard shows them all
        MOUS.labels(SERVICE, status).set(counts.get(status, 0))
    MOUS_IN_FORCE.labels(SERVICE).set(counts.get("signed", 0))
