"""One handler per command: load, call the domain, save (state and events together)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from services.mou.commands import DraftMou, MouChange, PartyAct, ReviseMou
from services.mou.domain import Mou
from services.mou.repository import MouRepository
from shared.bus import apply_change
from shared.clock import utcnow
from shared.errors import Conflict
from shared.logging import get_logger
from shared.projections.agencies import AgencyDirectory
from shared.unit_of_work import change, load_for_change, retry_on_conflict

log = get_logger(__name__)


async def _ensure_number_is_free(mous: MouRepository, number: str | None, mou_id: str) -> None:
    # The unique index is the guarantee; this answers the common case with a clear detail.
    if number is None:
        return
    other = await mous.find_one({"number": number.strip(), "_id": {"$ne": mou_id}})
    if other is not None:
        raise Conflict(f"MoU {other.id} already has the number {number}", field="number")


async def draft_mou(command: DraftMou, mous: MouRepository, agencies: AgencyDirectory) -> Mou:
    known = await agencies.get_many(list(dict.fromkeys(command.parties)))
    mou = Mou.draft(**command.arguments(), agencies=known)
    await _ensure_number_is_free(mous, mou.number, mou.id)
    await mous.add(mou)
    return mou


async def revise_mou(command: ReviseMou, mous: MouRepository, agencies: AgencyDirectory) -> Mou:
    mou = await load_for_change(mous, command.mou_id, command.expected_version)
    wanted = command.changes.parties or []
    known = await agencies.get_many([a for a in dict.fromkeys(wanted) if a not in mou.party_ids])
    changed = mou.revise(command.changes, known)
    if changed:
        if "number" in changed:
            await _ensure_number_is_free(mous, mou.number, mou.id)
        await mous.save(mou)
    return mou


async def change_mou(command: MouChange, mous: MouRepository) -> Mou:
    """A command on the MoU alone: its domain call (``apply``), saved if it changed."""
    return await apply_change(mous, command)


async def act_as_party(command: PartyAct, mous: MouRepository, agencies: AgencyDirectory) -> Mou:
    """A party's command: its domain call, with what is known of the party's agency now."""
    agency = await agencies.get(command.agency_id)
    return await change(
        mous, command.mou_id, command.expected_version, lambda mou: command.apply(mou, agency)
    )


async def expire_due_mous(
    mous: MouRepository, today: date | None = None, now: datetime | None = None
) -> list[str]:
    """Expire every MoU in force whose term ran out before ``today`` (UTC); returns their ids.

    Safe on several replicas at once: each expiry is a save conditional on the version read,
    so of two replicas expiring the same MoU one wins; the other reads it again, finds it no
    longer due and skips it, and only one ``mou.expired`` is ever recorded.
    """
    now = now or utcnow()
    today = today or now.date()

    async def expire(mou_id: str) -> bool:
        mou = await mous.get(mou_id)
        if not mou.is_due_to_expire(today):
            return False  # changed since the search (another replica, a termination)
        mou.expire(today, at=now)
        await mous.save(mou)
        log.info("mou.expired", mou_id=mou_id, valid_until=str(mou.valid_until))
        return True

    return [
        mou_id
        for mou_id in await mous.ids_due_to_expire(today)
        if await retry_on_conflict(partial(expire, mou_id), name="expire_mou")
    ]
