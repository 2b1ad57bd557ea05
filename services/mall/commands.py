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


class OpenMall(Command[Mall]):
    mall_id: str
    opened_at: datetime | None = None


class ScheduleInauguration(Command[Mall]):
    mall_id: str
    scheduled_for: datetime


class InaugurateMall(Command[Mall]):
    mall_id: str
    inaugurated_by: str
    inaugurated_at: datetime | None = None


class CloseMall(Command[Mall]):
    mall_id: str
    reason: str | None = None


class OpenCounter(Command[Mall]):
    mall_id: str
    agency_id: str
    services: list[str]
    opened_at: datetime | None = None


class CloseCounter(Command[Mall]):
    mall_id: str
    agency_id: str
