"""What callers may ask of the mall service, named in the imperative.

Each command names what its handler returns: ``Command[Mall]`` answers with the mall.
"""

from __future__ import annotations

from datetime import datetime

from services.mall.domain import Mall
from shared.bus import Change, Command


class PlanMall(Command[Mall]):
    name: str
    province_code: str
    regency_code: str
    regency_name: str | None = None
    province_name: str | None = None
    address: str | None = None


class MallChange(Change[Mall]):
    """A command on one existing mall, which it names; ``apply`` calls the domain."""

    mall_id: str

    @property
    def aggregate_id(self) -> str:
        return self.mall_id


class OpenMall(MallChange):
    opened_at: datetime | None = None

    def apply(self, mall: Mall) -> None:
        mall.open(self.opened_at)


class ScheduleInauguration(MallChange):
    scheduled_for: datetime

    def apply(self, mall: Mall) -> None:
        mall.schedule_inauguration(self.scheduled_for)


class InaugurateMall(MallChange):
    inaugurated_by: str
    inaugurated_at: datetime | None = None

    def apply(self, mall: Mall) -> None:
        mall.inaugurate(self.inaugurated_by, self.inaugurated_at)


class CloseMall(MallChange):
    reason: str | None = None

    def apply(self, mall: Mall) -> None:
        mall.close(self.reason)


class OpenCounter(Command[Mall]):
    mall_id: str
    agency_id: str
    services: list[str]
    opened_at: datetime | None = None


class CloseCounter(MallChange):
    agency_id: str

    def apply(self, mall: Mall) -> None:
        mall.close_counter(self.agency_id)
