"""What callers may ask of the mall service, named in the imperative.

Each command names what its handler returns: ``Command[Mall]`` answers with the mall.
"""

from __future__ import annotations

from datetime import datetime

from services.mall.domain import Mall
from shared.bus import Command


class PlanMall(Command[Mall]):
    name: str
    province_code: str
    regency_code: str
    regency_name: str | None = None
    province_name: str | None = None
    address: str | None = None


class MallChange(Command[Mall]):
    """A command on one existing mall, which it names."""

    mall_id: str


class OpenMall(MallChange):
    opened_at: datetime | None = None


class ScheduleInauguration(MallChange):
    scheduled_for: datetime


class InaugurateMall(MallChange):
    inaugurated_by: str
    inaugurated_at: datetime | None = None


class CloseMall(MallChange):
    reason: str | None = None


class OpenCounter(MallChange):
    agency_id: str
    services: list[str]
    opened_at: datetime | None = None


class CloseCounter(MallChange):
    agency_id: str
