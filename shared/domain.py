"""The base of every aggregate: identity, version, timestamps and the events it records.

Aggregates are plain models free of I/O. A command method checks the rules, changes state,
bumps ``version`` and records the event that says what happened; the repository stores the
new state and those events together (see ``shared.outbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

from shared.clock import UtcDateTime, new_id, utcnow
from shared.errors import PreconditionFailed
from shared.events.catalogue import EventData

ExpectedVersion = int | frozenset[int] | None
"""What a change is based on (``If-Match``): one version, the versions any of which will do,
or None for no precondition."""


@dataclass(frozen=True)
class RecordedEvent:
    """An event an aggregate recorded, not yet stored."""

    type: str
    data: EventData
    time: datetime


class Aggregate(BaseModel):
    """An aggregate root with optimistic versioning."""

    model_config = ConfigDict(extra="ignore")

    id: str
    version: int = 1
    created_at: UtcDateTime
    updated_at: UtcDateTime

    _events: list[RecordedEvent] = PrivateAttr(default_factory=list)
    _loaded_version: int | None = PrivateAttr(default=None)

    @classmethod
    def new(cls, id_prefix: str, **state: Any) -> Self:
        """A new aggregate in ``state``: a fresh id starting ``id_prefix``, version 1, created
        (and last changed) now."""
        return cls(id=new_id(id_prefix), **state, **new_timestamps())

    def record(self, data: EventData, at: datetime | None = None) -> None:
        """Record the event ``data`` is of (its class names the type); its ``version`` must be
        the aggregate's new one. It happened ``at``, by default when the aggregate last
        changed (``next_version``, or its creation)."""
        self._events.append(RecordedEvent(data.type, data, at or self.updated_at))

    def next_version(self, at: datetime | None = None) -> int:
        """Move to the next version (once per command) and return it."""
        self.version += 1
        self.updated_at = at or utcnow()
        return self.version

    def collect_events(self) -> list[RecordedEvent]:
        """The recorded events, handing them over once."""
        events, self._events = self._events, []
        return events

    @property
    def loaded_version(self) -> int | None:
        """The version as read from the store; None for an aggregate not stored yet."""
        return self._loaded_version

    def mark_loaded(self) -> None:
        self._loaded_version = self.version

    def ensure_version(self, expected: ExpectedVersion) -> None:
        """Refuse (412) a change based on a version other than the current one.

        ``expected`` is what ``If-Match`` named: one version, or a set any of which will do.
        """
        if expected is None:
            return
        allowed = expected if isinstance(expected, frozenset) else frozenset({expected})
        if self.version not in allowed:
            named = ", ".join(str(v) for v in sorted(allowed)) or "no strong version"
            raise PreconditionFailed(
                f"{type(self).__name__.lower()} {self.id} is at version {self.version},"
                f" not {named}",
                current_version=self.version,
            )


class Changes(BaseModel):
    """A partial update (PATCH): only the fields given change, and None may be given.

    Subclasses declare the changeable fields, each optional; ``model_fields_set`` tells a
    field given as None (remove it) from one not given at all (keep it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def given(self) -> dict[str, Any]:
        """The fields given, in the order they are declared, with their values."""
        return {name: getattr(self, name) for name in type(self).model_fields if self.has(name)}

    def has(self, name: str) -> bool:
        """Whether ``name`` was given (possibly as None)."""
        return name in self.model_fields_set


class Filter(BaseModel):
    """What a listing can be narrowed by: a field left None (or empty) narrows nothing."""

    def equal_at(self, **paths: str) -> dict[str, Any]:
        """The query that each field named, where set, equals its value at the document path
        given for it, e.g. ``equal_at(status="status", province_code="region.province_code")``.
        """
        return {path: getattr(self, field) for field, path in paths.items() if getattr(self, field)}


class AgencyInfo(Protocol):
    """What a service's rules need to know of an agency, whoever else owns it.

    The services learn agencies from ``agency.*`` events; their rules take them as values of
    this shape (``KnownAgency`` of the projection fits) so that they stay free of storage.
    """

    @property
    def agency_id(self) -> str: ...

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def is_active(self) -> bool: ...


def new_timestamps() -> dict[str, datetime]:
    now = utcnow()
    return {"created_at": now, "updated_at": now}
