"""Public Service Malls (Mal Pelayanan Publik): lifecycle and counters. Pure rules, no I/O.

planned -> operating (soft launch) -> inaugurated (peresmian); a planned mall may be
inaugurated directly; any state but closed -> closed. Counters (gerai) of agencies open and
close in any mall that is not closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypedDict

from pydantic import BaseModel

from services.mall.regions import region_of
from shared.agency_rules import LOCAL_GOVERNMENT, AgencyKind
from shared.clock import UtcDateTime, ensure_utc, utcnow
from shared.domain import AgencyInfo, Aggregate, Filter
from shared.errors import Conflict, InvalidTransition, NotFound, RuleViolated
from shared.events.catalogue import (
    AgencyStatus,
    Counter,
    MallClosed,
    MallCounterClosed,
    MallCounterFlagged,
    MallCounterOpened,
    MallInaugurated,
    MallInaugurationScheduled,
    MallOpened,
    MallPlanned,
    MallStatus,
    Region,
)

STATUSES: tuple[MallStatus, ...] = ("planned", "operating", "inaugurated", "closed")
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a "has happened" time may be, for clocks slightly ahead."""


class CounterAgency(AgencyInfo, Protocol):
    """What a mall needs to know of an agency, beyond what every service does."""

    @property
    def kind(self) -> AgencyKind | None: ...

    @property
    def status(self) -> AgencyStatus: ...

    def offers(self, service_code: str) -> bool: ...


class _About(TypedDict):
    mall_id: str
    version: int
    name: str
    region: Region


class _AboutCounter(_About):
    agency_id: str
    code: str
    agency_name: str


class MallCounter(Counter):
    """A counter (gerai) as the mall shows it.

    ``flagged`` is true while its agency, not a local government, is party to no MoU in force:
    the counter stays open, and the flag tells the programme to look at it.
    """

    flagged: bool = False
    flag_reason: str | None = None


def _not_in_future(at: datetime | None, field: str) -> datetime:
    now = utcnow()
    if at is None:
        return now
    at = ensure_utc(at)
    if at > now + CLOCK_SKEW:
        raise RuleViolated(f"{field} is in the future; record it once it has happened", field=field)
    return at


def needs_mou(agency: CounterAgency) -> bool:
    """Whether the agency may run a counter only while party to an MoU in force."""
    return agency.kind != LOCAL_GOVERNMENT


def _check_counter_services(agency: CounterAgency, services: list[str]) -> None:
    """At least one service, each listed once and offered by the agency."""
    if not services:
        raise RuleViolated("list at least one service the counter offers", field="services")
    seen: set[str] = set()
    for i, code in enumerate(services):
        if code in seen:
            raise RuleViolated(f"service {code} is listed twice", field=f"services.{i}")
        if not agency.offers(code):
            raise RuleViolated(
                f"{agency.code} offers no service with code {code}", field=f"services.{i}"
            )
        seen.add(code)


class MallState(BaseModel):
    """What a mall is, all of it public: the aggregate keeps it, ``views.Mall`` shows it."""

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


class Mall(MallState, Aggregate):
    """One Public Service Mall in a regency or city."""

    # --- lifecycle ------------------------------------------------------------------------

    @classmethod
    def plan(
        cls,
        *,
        name: str,
        province_code: str,
        regency_code: str,
        regency_name: str | None = None,
        address: str | None = None,
        province_name: str | None = None,
    ) -> Mall:
        """A planned mall for a regency or city; records ``mall.planned``."""
        if not name.strip():
            raise RuleViolated("a mall needs a name", field="name")
        region = region_of(
            province_code=province_code,
            regency_code=regency_code,
            regency_name=regency_name,
            province_name_given=province_name,
        )
        mall = cls.new("mall", name=name.strip(), region=region, address=address)
        mall.record(MallPlanned(**mall._about(), address=address, status="planned"))
        return mall

    def open(self, opened_at: datetime | None = None) -> None:
        """A planned mall starts serving (soft launch); records ``mall.opened``."""
        if self.status != "planned":
            raise InvalidTransition(
                f"only a planned mall can open; {self.name} is {self.status}",
                current_state=self.status,
            )
        self.opened_at = _not_in_future(opened_at, "opened_at")
        self.status = "operating"
        self.next_version()
        self.record(MallOpened(**self._about(), opened_at=self.opened_at))

    def schedule_inauguration(self, scheduled_for: datetime) -> None:
        """Set (or move) the inauguration date; records ``mall.inauguration_scheduled``."""
        if self.status not in ("planned", "operating"):
            raise InvalidTransition(
                f"only a planned or operating mall can have its inauguration scheduled;"
                f" {self.name} is {self.status}",
                current_state=self.status,
            )
        self.inauguration_scheduled_for = ensure_utc(scheduled_for)
        self.next_version()
        self.record(
            MallInaugurationScheduled(
                **self._about(), scheduled_for=self.inauguration_scheduled_for
            ),
        )

    def inaugurate(self, inaugurated_by: str, inaugurated_at: datetime | None = None) -> None:
        """The official inauguration (peresmian); records ``mall.inaugurated``.

        A planned mall inaugurated directly also opens then. An operating mall cannot be
        inaugurated before it opened.
        """
        if self.status not in ("planned", "operating"):
            raise InvalidTransition(
                f"only a planned or operating mall can be inaugurated; {self.name} is"
                f" {self.status}",
                current_state=self.status,
            )
        if not inaugurated_by.strip():
            raise RuleViolated(
                "say who inaugurated it, e.g. the regent or a minister", field="inaugurated_by"
            )
        at = _not_in_future(inaugurated_at, "inaugurated_at")
        if self.opened_at is not None and self.status == "operating" and at < self.opened_at:
            raise RuleViolated(
                f"{self.name} opened on {self.opened_at.date().isoformat()}: it cannot have been"
                " inaugurated before",
                field="inaugurated_at",
            )
        self.inaugurated_at = at
        self.inaugurated_by = inaugurated_by.strip()
        if self.opened_at is None:
            self.opened_at = at
        self.status = "inaugurated"
        self.next_version()
        self.record(
            MallInaugurated(**self._about(), inaugurated_at=at, inaugurated_by=self.inaugurated_by),
        )

    def close(self, reason: str | None = None, closed_at: datetime | None = None) -> None:
        """It stops operating, whatever its state; records ``mall.closed``.

        Its counters stay listed as they were when it closed.
        """
        if self.status == "closed":
            raise InvalidTransition(f"{self.name} is already closed", current_state=self.status)
        self.closed_at = _not_in_future(closed_at, "closed_at")
        self.closure_reason = reason
        self.status = "closed"
        self.next_version()
        self.record(MallClosed(**self._about(), closed_at=self.closed_at, reason=reason))

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    # --- counters -------------------------------------------------------------------------

    def counter_of(self, agency_id: str) -> MallCounter | None:
        return next((c for c in self.counters if c.agency_id == agency_id), None)

    def open_counter(
        self,
        agency: CounterAgency,
        services: list[str],
        *,
        mou_in_force: bool,
        opened_at: datetime | None = None,
    ) -> MallCounter:
        """An agency opens its counter here with the services it offers; records
        ``mall.counter_opened``.

        Args:
            agency: as the service knows it from ``agency.*`` events.
            services: layanan codes, each one the agency offers.
            mou_in_force: whether the agency is party to an MoU in force now; agencies other
                than local governments need one.
            opened_at: when it opened (default now); not in the future.
        """
        self._ensure_counter_may_open(agency, mou_in_force=mou_in_force)
        _check_counter_services(agency, services)
        counter = MallCounter(
            agency_id=agency.agency_id,
            code=agency.code,
            name=agency.name,
            services=list(services),
            opened_at=_not_in_future(opened_at, "opened_at"),
        )
        self.counters = [*self.counters, counter]
        self.next_version()
        self.record(
            MallCounterOpened(
                **self._about(), counter=Counter.model_validate(counter.model_dump())
            ),
        )
        return counter

    def close_counter(self, agency_id: str, closed_at: datetime | None = None) -> None:
        """The agency's counter closes; records ``mall.counter_closed``."""
        if self.is_closed:
            raise InvalidTransition(
                f"{self.name} is closed: its counters are as they were when it closed",
                current_state=self.status,
            )
        counter = self.counter_of(agency_id)
        if counter is None:
            raise NotFound(f"{self.name} has no counter of agency {agency_id}")
        at = _not_in_future(closed_at, "closed_at")
        self.counters = [c for c in self.counters if c.agency_id != agency_id]
        self.next_version()
        self.record(MallCounterClosed(**self._about_counter(counter), closed_at=at))

    def flag_counter(self, agency_id: str, flagged: bool, reason: str | None = None) -> bool:
        """Flag (or clear the flag of) an agency's open counter; records
        ``mall.counter_flagged``. Returns False, recording nothing, when there is nothing to
        change (no such counter, the flag already so, or the mall closed).
        """
        counter = self.counter_of(agency_id)
        if self.is_closed or counter is None or counter.flagged == flagged:
            return False
        counter.flagged = flagged
        counter.flag_reason = reason if flagged else None
        self.next_version()
        self.record(
            MallCounterFlagged(
                **self._about_counter(counter), flagged=flagged, reason=counter.flag_reason
            )
        )
        return True

    # --- helpers --------------------------------------------------------------------------

    def _ensure_counter_may_open(self, agency: CounterAgency, *, mou_in_force: bool) -> None:
        """The mall is open, the agency active, with an MoU if it needs one, and no counter."""
        if self.is_closed:
            raise InvalidTransition(
                f"{self.name} is closed: no counter can open there", current_state=self.status
            )
        if not agency.is_active:
            raise Conflict(
                f"{agency.code} is {agency.status}: it cannot open new counters",
                agency_id=agency.agency_id,
                agency_status=agency.status,
            )
        if needs_mou(agency) and not mou_in_force:
            raise Conflict(
                f"{agency.code} ({agency.kind or 'kind unknown'}) is not a party to any MoU in"
                " force: only a local_government agency may open a counter without one",
                agency_id=agency.agency_id,
                reason="no_mou_in_force",
            )
        if self.counter_of(agency.agency_id) is not None:
            raise Conflict(
                f"{agency.code} already has a counter in {self.name}", agency_id=agency.agency_id
            )

    def _about(self) -> _About:
        """What every mall event says of the mall: id, new version, name and region."""
        return _About(mall_id=self.id, version=self.version, name=self.name, region=self.region)

    def _about_counter(self, counter: MallCounter) -> _AboutCounter:
        """What every event about a counter says: the mall's, and the counter's agency."""
        return {
            **self._about(),
            "agency_id": counter.agency_id,
            "code": counter.code,
            "agency_name": counter.name,
        }


class MallFilter(Filter):
    """What ``GET /malls`` can filter on."""

    status: MallStatus | None = None
    province_code: str | None = None
    regency_code: str | None = None
