"""What a service knows of agencies, learned from ``agency.*`` events (MoU and mall use it).

Each agency event carries the agency's new ``version``; the directory applies an event only
if it is newer than what it holds, so a redelivered or late event never rolls it back.
"""

from __future__ import annotations

from typing import Any

from shared.events.catalogue import (
    EVENT_TYPES,
    AgencyDeactivated,
    AgencyEventData,
    AgencyKind,
    AgencyRef,
    AgencyService,
    AgencyStatus,
)
from shared.events.envelope import CloudEvent
from shared.messaging.consumer import EventHandler
from shared.projections.versioned import VersionedProjection
from shared.storage import ASCENDING

COLLECTION = "known_agencies"
AGENCY_BINDINGS = ("agency.#",)
"""What a queue feeding the directory binds to."""


class KnownAgency(AgencyRef):
    """An agency as another service sees it."""

    version: int
    acronym: str | None = None
    kind: AgencyKind | None = None
    services: list[AgencyService] = []
    status: AgencyStatus = "active"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def offers(self, service_code: str) -> bool:
        return any(s.code == service_code for s in self.services)


_KEPT = frozenset(KnownAgency.model_fields) - {"agency_id"}
"""What the directory keeps of an agency event: each field the event's model declares."""


class AgencyDirectory(VersionedProjection[KnownAgency]):
    """The agencies a service has heard of, kept in its own database."""

    default_collection = COLLECTION
    record_model = KnownAgency
    id_field = "agency_id"

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("code", ASCENDING)])

    def handlers(self) -> dict[str, EventHandler]:
        """Handlers for a queue bound to ``AGENCY_BINDINGS``."""
        return {"agency.*": self.apply}

    async def apply(self, event: CloudEvent) -> None:
        """Fold one ``agency.*`` event into the directory (idempotent, never goes back)."""
        model = EVENT_TYPES.get(event.type)
        if model is None or not issubclass(model, AgencyEventData):
            return
        data = model.model_validate(event.data).model_dump(mode="json")
        state: dict[str, Any] = {f: data[f] for f in _KEPT & model.model_fields.keys()}
        if model is AgencyDeactivated:
            state["status"] = "inactive"
        await self._store(data["agency_id"], state)

    async def get_many(self, agency_ids: list[str]) -> dict[str, KnownAgency]:
        cursor = self._collection.find({"_id": {"$in": agency_ids}})
        return {document["_id"]: self._record(document) async for document in cursor}
