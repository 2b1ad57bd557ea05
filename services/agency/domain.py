"""Agencies: the bodies that sign MoUs and run counters. Pure rules, no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypedDict

from pydantic import BaseModel

from shared.agency_rules import (
    AGENCY_CODE_PATTERN,
    AGENCY_KINDS,
    SERVICE_CODE_PATTERN,
    AgencyKind,
)
from shared.clock import UtcDateTime, utcnow
from shared.domain import Aggregate, Changes, Filter
from shared.errors import Conflict, InvalidTransition, NotFound, RuleViolated
from shared.events.catalogue import (
    MAX_SERVICES,
    AgencyDeactivated,
    AgencyRegistered,
    AgencyService,
    AgencyServiceAdded,
    AgencyServiceRemoved,
    AgencyStatus,
    AgencyUpdated,
    Contact,
)

CODE = re.compile(AGENCY_CODE_PATTERN)
SERVICE_CODE = re.compile(SERVICE_CODE_PATTERN)


def check_code(code: str, field: str = "code") -> None:
    if not CODE.match(code):
        raise RuleViolated(
            "must be upper case letters, digits or _ (2-32, starting with a letter),"
            " e.g. KEMENPANRB",
            field=field,
        )


def check_service_code(code: str, field: str) -> None:
    if not SERVICE_CODE.match(code):
        raise RuleViolated(
            "service codes are upper case letters, digits, _ or - (1-40), e.g. PASPOR",
            field=field,
        )


class _About(TypedDict):
    agency_id: str
    version: int
    code: str
    name: str


class _Described(_About):
    acronym: str | None
    kind: AgencyKind
    contact: Contact | None


class AgencyChanges(Changes):
    """What ``Agency.update`` may change; only the fields given change."""

    name: str | None = None
    acronym: str | None = None
    kind: AgencyKind | None = None
    contact: Contact | None = None


class AgencyState(BaseModel):
    """What an agency is, all of it public: the aggregate keeps it, ``views.Agency`` shows it."""

    code: str
    name: str
    acronym: str | None = None
    kind: AgencyKind
    contact: Contact | None = None
    services: list[AgencyService] = []
    status: AgencyStatus = "active"
    deactivated_at: UtcDateTime | None = None
    deactivation_reason: str | None = None


class Agency(AgencyState, Aggregate):
    """A ministry, agency, SOE, public body or local government taking part in the programme."""

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        kind: AgencyKind,
        acronym: str | None = None,
        contact: Contact | None = None,
        services: list[AgencyService] | None = None,
    ) -> Agency:
        """A new, active agency; records ``agency.registered``."""
        check_code(code)
        offered = list(services or [])
        seen: set[str] = set()
        for i, service in enumerate(offered):
            check_service_code(service.code, f"services.{i}.code")
            if service.code in seen:
                raise RuleViolated(
                    f"service {service.code} is listed twice", field=f"services.{i}.code"
                )
            seen.add(service.code)
        agency = cls.new(
            "agc",
            code=code,
            name=name,
            acronym=acronym,
            kind=kind,
            contact=contact,
            services=offered,
        )
        agency.record(AgencyRegistered(**agency._described(), services=offered, status="active"))
        return agency

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def update(self, changes: AgencyChanges) -> list[str]:
        """Change name, acronym, kind or contact; records ``agency.updated`` if anything changed.

        Returns the names of the fields that really changed (none: nothing is recorded).
        """
        changed = []
        for field, value in changes.given().items():
            if field == "name" and not value:
                raise RuleViolated("name cannot be empty", field="name")
            if field == "kind" and value not in AGENCY_KINDS:
                raise RuleViolated(f"kind must be one of {', '.join(AGENCY_KINDS)}", field="kind")
            if getattr(self, field) != value:
                setattr(self, field, value)
                changed.append(field)
        if not changed:
            return []
        self.next_version()
        self.record(AgencyUpdated(**self._described(), changed=changed))
        return changed

    def add_service(self, service: AgencyService) -> None:
        """Offer one more service; its code must be new to this agency."""
        self._ensure_active("add a service to")
        check_service_code(service.code, "code")
        if any(s.code == service.code for s in self.services):
            raise Conflict(
                f"{self.code} already offers a service with code {service.code}",
                field="code",
            )
        if len(self.services) >= MAX_SERVICES:
            raise Conflict(f"{self.code} already offers {MAX_SERVICES} services, the most allowed")
        self.services = [*self.services, service]
        self.next_version()
        self.record(AgencyServiceAdded(**self._about(), service=service, services=self.services))

    def remove_service(self, service_code: str) -> None:
        """Stop offering a service."""
        service = next((s for s in self.services if s.code == service_code), None)
        if service is None:
            raise NotFound(f"{self.code} offers no service with code {service_code}")
        self.services = [s for s in self.services if s.code != service_code]
        self.next_version()
        self.record(AgencyServiceRemoved(**self._about(), service=service, services=self.services))

    def deactivate(self, reason: str | None = None, at: datetime | None = None) -> None:
        """No new MoUs or counters from now on; what exists stays."""
        self._ensure_active("deactivate")
        self.status = "inactive"
        self.deactivated_at = at or utcnow()
        self.deactivation_reason = reason
        self.next_version(self.deactivated_at)
        self.record(AgencyDeactivated(**self._about(), reason=reason))

    def _about(self) -> _About:
        """What every agency event says of it: id, new version, code and name."""
        return _About(agency_id=self.id, version=self.version, code=self.code, name=self.name)

    def _described(self) -> _Described:
        """What ``agency.registered`` and ``agency.updated`` say of it."""
        return {
            **self._about(),
            "acronym": self.acronym,
            "kind": self.kind,
            "contact": self.contact,
        }

    def _ensure_active(self, action: str) -> None:
        if not self.is_active:
            raise InvalidTransition(
                f"cannot {action} {self.code}: it is {self.status}", current_state=self.status
            )


class AgencyFilter(Filter):
    """What ``GET /agencies`` can filter on."""

    kind: AgencyKind | None = None
    status: AgencyStatus | None = None
    code: str | None = None
    q: str | None = None
