"""What the mall service knows of MoUs, learned from ``mou.signed``, ``mou.terminated`` and
``mou.expired``: which MoUs are in force and who their parties are.

Each event carries the MoU's new ``version``; an event is applied only if it is newer than
what is held, so a redelivered or late ``mou.signed`` never revives a terminated MoU.
"""

from __future__ import annotations

from pydantic import BaseModel

from shared.events.catalogue import MouExpired, MouSigned, MouStatus, MouTerminated, data_model_for
from shared.events.envelope import CloudEvent
from shared.projections.versioned import VersionedProjection
from shared.storage import ASCENDING

COLLECTION = "known_mous"

_STATUS_BY_TYPE: dict[str, MouStatus] = {
    MouSigned.type: "signed",
    MouTerminated.type: "terminated",
    MouExpired.type: "expired",
}
MOU_EVENT_TYPES: tuple[str, ...] = tuple(_STATUS_BY_TYPE)


class KnownMou(BaseModel):
    """An MoU as the mall service sees it."""

    mou_id: str
    version: int
    status: MouStatus
    number: str | None = None
    title: str
    parties: list[str]
    """The parties' agency ids."""

    @property
    def in_force(self) -> bool:
        return self.status == "signed"

    @property
    def label(self) -> str:
        return f"{self.number} ({self.title})" if self.number else self.title


class MouRegister(VersionedProjection[KnownMou]):
    """The MoUs the mall service has heard of, in its own database."""

    default_collection = COLLECTION
    record_model = KnownMou
    id_field = "mou_id"

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("parties", ASCENDING), ("status", ASCENDING)])

    async def apply(self, event: CloudEvent) -> KnownMou | None:
        """Fold one ``mou.*`` event in (idempotent, never goes back).

        Returns the MoU as the event describes it (whether or not it was newer than what was
        held), or None for an event type this projection ignores.
        """
        status = _STATUS_BY_TYPE.get(event.type)
        if status is None:
            return None
        data = data_model_for(event.type).model_validate(event.data).model_dump(mode="json")
        mou = KnownMou(
            mou_id=data["mou_id"],
            version=data["version"],
            status=status,
            number=data.get("number"),
            title=data["title"],
            parties=[p["agency_id"] for p in data["parties"]],
        )
        await self._store(mou.mou_id, mou.model_dump(exclude={"mou_id"}))
        return mou

    async def count_in_force(self) -> int:
        """How many MoUs are in force (signed, neither terminated nor expired)."""
        return int(await self._collection.count_documents({"status": "signed"}))

    async def has_mou_in_force(self, agency_id: str) -> bool:
        return (
            await self._collection.find_one({"parties": agency_id, "status": "signed"}) is not None
        )
