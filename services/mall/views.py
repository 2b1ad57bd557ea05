"""The mall resource as the HTTP API shows it, apart from the stored ``Mall`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Mall``,
``MallCounter``), so clients generated from it keep their types; routes use them as
``views.Mall``.
"""

from __future__ import annotations

from shared.clock import UtcDateTime
from shared.events.catalogue import Counter, MallStatus, Region
from shared.http.views import ResourceView


class MallCounter(Counter):
    """A counter (gerai) as the mall shows it.

    ``flagged`` is true while its agency, not a local government, is party to no MoU in force:
    the counter stays open, and the flag tells the programme to look at it.
    """

    flagged: bool = False
    flag_reason: str | None = None


class Mall(ResourceView):
    """One Public Service Mall in a regency or city."""

    name: str
    region: Region
    address: str | None = None
    status: MallStatus = "planned"
    opened_at: UtcDateTime | None = None
    inauguration_scheduled_for: UtcDateTime | None = None
    inaugurated_at: UtcDateTime | None = None
    inaugurated_by: str | None = None
    closed_at: UtcDateTime | None = None
    closure_reason: str | None = None
    counters: list[MallCounter] = []
