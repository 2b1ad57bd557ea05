"""A repository for one aggregate type: load by id, add, save, each save with its events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from shared.domain import Aggregate
from shared.errors import Conflict, NotFound
from shared.events.envelope import CloudEvent
from shared.logging import current_correlation_id, new_correlation_id
from shared.outbox import AggregateStore
from shared.storage import Collection, DuplicateKeyError

A = TypeVar("A", bound=Aggregate)

_INTERNAL_PREFIX = "_"


def to_document(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate as a MongoDB document (dates, which BSON lacks, as ISO strings)."""
    document = _bson_safe(aggregate.model_dump(mode="python"))
    document["_id"] = document.pop("id")
    return document


def from_document(model: type[A], document: dict[str, Any]) -> A:
    """The aggregate stored in ``document``; internal fields (``_outbox``, ...) are left out."""
    fields = {k: v for k, v in document.items() if not k.startswith(_INTERNAL_PREFIX)}
    aggregate = model.model_validate({**fields, "id": document["_id"]})
    aggregate.mark_loaded()
    return aggregate


def _bson_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _bson_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bson_safe(v) for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


class Repository(Generic[A]):
    """Loads and stores one kind of aggregate, together with the events it recorded.

    Args:
        store: writes state and events atomically (the outbox).
        model: the aggregate class.
        service: the owning service; events get ``source`` ``/mpp/<service>``.
        duplicate_message: the 409 detail when a unique index refuses an insert.
    """

    def __init__(
        self,
        store: AggregateStore,
        model: type[A],
        service: str,
        duplicate_message: str = "already exists",
    ) -> None:
        self._store = store
        self._model = model
        self._source = f"/mpp/{service}"
        self._duplicate_message = duplicate_message

    @property
    def collection(self) -> Collection:
        return self._store.collection

    def _from_document(self, document: dict[str, Any]) -> A:
        """The aggregate a stored document holds (a subclass may decrypt fields here)."""
        return from_document(self._model, document)

    def _to_document(self, aggregate: A) -> dict[str, Any]:
        """The document to store for an aggregate (a subclass may encrypt fields here)."""
        return to_document(aggregate)

    async def get(self, aggregate_id: str) -> A:
        document = await self.collection.find_one({"_id": aggregate_id})
        if document is None:
            raise NotFound(f"{self._model.__name__.lower()} {aggregate_id} does not exist")
        return self._from_document(document)

    async def find_one(self, query: dict[str, Any]) -> A | None:
        document = await self.collection.find_one(query)
        return None if document is None else self._from_document(document)

    async def add(self, aggregate: A) -> None:
        """Store a new aggregate and its first events."""
        events = self._cloud_events(aggregate)
        try:
            await self._store.insert(self._to_document(aggregate), events)
        except DuplicateKeyError as error:
            raise Conflict(self._duplicate_message) from error
        aggregate.mark_loaded()

    async def save(self, aggregate: A) -> None:
        """Store the aggregate's changes and events, if nobody changed it since it was loaded."""
        if aggregate.loaded_version is None:
            raise ValueError("save() is for loaded aggregates; use add() for new ones")
        events = self._cloud_events(aggregate)
        document = self._to_document(aggregate)
        document.pop("_id")
        try:
            await self._store.update(aggregate.id, aggregate.loaded_version, document, events)
        except DuplicateKeyError as error:
            raise Conflict(self._duplicate_message) from error
        aggregate.mark_loaded()

    def _cloud_events(self, aggregate: A) -> list[CloudEvent]:
        correlation_id = current_correlation_id() or new_correlation_id()
        return [
            CloudEvent.new(
                type=recorded.type,
                source=self._source,
                subject=aggregate.id,
                data=recorded.data.model_dump(mode="json"),
                correlation_id=correlation_id,
                time=recorded.time,
            )
            for recorded in aggregate.collect_events()
        ]
