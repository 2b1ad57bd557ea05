"""Waiting for a service's projection of agencies to catch up with the agency service."""

from __future__ import annotations

from collections.abc import Iterable

from shared.projections.agencies import AgencyDirectory
from tests.support.eventually import eventually


async def known_to(
    directory: AgencyDirectory,
    agency_ids: Iterable[str],
    status: str = "active",
    timeout: float = 10.0,
) -> None:
    """Wait until ``directory`` (a MoU or mall service's projection) holds every agency with
    ``status``: it learns of them from events, not at once."""
    wanted = list(agency_ids)
    await eventually(
        lambda: directory.get_many(wanted),
        until=lambda known: all(a in known and known[a].status == status for a in wanted),
        timeout=timeout,
        what=f"agencies {wanted} {status} in the projection",
    )
