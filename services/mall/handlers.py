"""The handlers of commands: load, call the domain, save (state and events together).

A command on the mall alone says itself which domain call it is (``MallChange.apply``).
"""

from __future__ import annotations

from functools import partial

from services.mall.commands import MallChange, OpenCounter, PlanMall
from services.mall.domain import Mall, needs_mou
from services.mall.projections import MouRegister
from services.mall.repository import MallRepository
from shared.bus import apply_change
from shared.errors import Conflict, RuleViolated
from shared.logging import get_logger
from shared.projections.agencies import AgencyDirectory
from shared.unit_of_work import load_for_change, retry_on_conflict

log = get_logger(__name__)

FLAG_ATTEMPTS = 5


async def plan_mall(command: PlanMall, malls: MallRepository) -> Mall:
    mall = Mall.plan(**command.arguments())
    existing = await malls.active_in_regency(mall.region.regency_code)
    if existing is not None:
        raise Conflict(
            f"{mall.region.regency_name} ({mall.region.regency_code}) already has a mall that is"
            f" not closed: {existing.name} ({existing.status})",
            field="region.regency_code",
            existing_mall_id=existing.id,
        )
    # The unique index refuses a concurrent second one (409 as well).
    await malls.add(mall)
    return mall


async def change_mall(command: MallChange, malls: MallRepository) -> Mall:
    """A command on the mall alone: its domain call (``apply``), saved if it changed."""
    return await apply_change(malls, command)


async def open_counter(
    command: OpenCounter,
    malls: MallRepository,
    agencies: AgencyDirectory,
    mous: MouRegister,
) -> Mall:
    mall = await load_for_change(malls, command.mall_id, command.expected_version)
    agency = await agencies.get(command.agency_id)
    if agency is None:
        raise RuleViolated(
            f"agency {command.agency_id} is unknown to the mall service (register it with the"
            " agency service first)",
            field="agency_id",
        )
    mou_in_force = not needs_mou(agency) or await mous.has_mou_in_force(agency.agency_id)
    mall.open_counter(
        agency, command.services, mou_in_force=mou_in_force, opened_at=command.opened_at
    )
    await malls.save(mall)
    return mall


async def reconcile_counter_flags(
    agency_id: str,
    reason: str,
    *,
    malls: MallRepository,
    agencies: AgencyDirectory,
    mous: MouRegister,
) -> int:
    """Flag the agency's open counters if it needs an MoU in force and has none; clear the
    flag otherwise. Idempotent: run it after anything that may change the answer.

    Returns how many counters changed (each one publishes ``mall.counter_flagged``).
    """
    agency = await agencies.get(agency_id)
    must_have_mou = agency is None or needs_mou(agency)
    flagged = must_have_mou and not await mous.has_mou_in_force(agency_id)

    async def flag_in(mall_id: str) -> bool:
        mall = await malls.get(mall_id)
        if not mall.flag_counter(agency_id, flagged, reason if flagged else None):
            return False
        await malls.save(mall)
        return True

    changed = 0
    for mall_id in await malls.with_counter_of(agency_id):
        if await retry_on_conflict(
            partial(flag_in, mall_id), name="flag_counter", attempts=FLAG_ATTEMPTS
        ):
            changed += 1
            log.info(
                "mall.counter_flag_changed", mall_id=mall_id, agency_id=agency_id, flagged=flagged
            )
    return changed
