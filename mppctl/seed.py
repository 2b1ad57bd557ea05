"""The seed loader: the programme's real data (``reference_data``) through the public APIs.

Everything goes through the services' HTTP resources, never their databases, so every
change publishes its event like any other. The loader is idempotent: it looks each thing up
first (an agency by code, the MoU by number or title, a mall by its region's Kemendagri
code), creates only what is missing and performs only the transitions not yet done. A
second run changes nothing and says so.

The services learn of each other through events, so the loader waits for their projections
where it must, for a bounded time:

- the MoU service knows an agency only after ``agency.registered`` reached it: drafting the
  MoU is retried while it answers 422 "agency ... is not known" on ``parties.*``;
- the mall service must know the agency (422 on ``agency_id``) and that the MoU is in force
  (409 ``no_mou_in_force``) before a counter opens: opening is retried likewise.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from mppctl import reference_data as ref
from mppctl.client import ApiError, MppClient

T = TypeVar("T")
Outcome = Literal["created", "updated", "present"]
DEFAULT_WAIT_SECONDS = 60.0
MAX_ATTEMPTS = 10_000
KINDS = (
    "agency",
    "agency service",
    "mou",
    "mou parties",
    "mou signing date",
    "signature",
    "team member",
    "mall",
    "mall opening",
    "inauguration date",
    "inauguration",
    "counter",
)
"""What the seed puts in place, in the order it does so."""


@dataclass(frozen=True)
class SeedItem:
    """One thing the seed wants in place, and what the run did about it."""

    kind: str
    key: str
    outcome: Outcome
    note: str = ""


@dataclass
class SeedReport:
    items: list[SeedItem] = field(default_factory=list)

    def add(self, kind: str, key: str, outcome: Outcome, note: str = "") -> SeedItem:
        item = SeedItem(kind, key, outcome, note)
        self.items.append(item)
        return item

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def present(self) -> int:
        return self.count("present")

    @property
    def changed(self) -> bool:
        return self.created + self.updated > 0

    def by_kind(self) -> list[dict[str, Any]]:
        """Per kind, in loading order: how many created, updated, already present."""
        tallies: dict[str, Tally[str]] = {}
        for item in self.items:
            tallies.setdefault(item.kind, Tally())[item.outcome] += 1
        known = [k for k in KINDS if k in tallies]
        order = known + [k for k in tallies if k not in KINDS]
        return [
            {
                "kind": kind,
                "created": tallies[kind]["created"],
                "updated": tallies[kind]["updated"],
                "already_present": tallies[kind]["present"],
            }
            for kind in order
        ]

    def summary(self) -> str:
        counts = f"created {self.created}, updated {self.updated}, already present {self.present}"
        if not self.changed:
            return f"Nothing changed: the seed data was already loaded ({counts})."
        return f"Seed data loaded: {counts}."

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "created": self.created,
            "updated": self.updated,
            "already_present": self.present,
            "summary": self.summary(),
            "by_kind": self.by_kind(),
            "items": [
                {"kind": i.kind, "key": i.key, "outcome": i.outcome, "note": i.note}
                for i in self.items
            ],
        }


def _text(error: ApiError) -> str:
    return f"{error.type} {error.title} {error.detail}".lower()


def agency_unknown_to_mou_service(error: BaseException) -> bool:
    """The MoU service has not yet learnt of a party from ``agency.registered``."""
    if not isinstance(error, ApiError) or error.status not in (404, 422):
        return False
    field_name = error.field or ""
    return field_name.startswith("parties") and "not known" in _text(error)


def counter_waits_for_projection(error: BaseException) -> bool:
    """The mall service has not yet learnt of the agency, its services or its MoU in force."""
    if not isinstance(error, ApiError):
        return False
    if error.status == 409:
        return error.problem.get("reason") == "no_mou_in_force" or "mou in force" in _text(error)
    if error.status in (404, 422):
        field_name = error.field or ""
        return field_name == "agency_id" or field_name.startswith("services")
    return False


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Seeder:
    """Loads ``reference_data`` idempotently; see the module docstring."""

    client: MppClient
    _: KW_ONLY
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = lambda _: None
    agencies: tuple[ref.AgencyRef, ...] = ref.AGENCIES
    mou: ref.MouRef = ref.MOU_2022
    malls: tuple[ref.MallRef, ...] = ref.MALLS
    report: SeedReport = field(default_factory=SeedReport, init=False)
    agency_ids: dict[str, str] = field(default_factory=dict, init=False)

    def run(self) -> SeedReport:
        self.seed_agencies()
        self.seed_mou()
        self.seed_malls()
        return self.report

    # --- helpers -----------------------------------------------------------------------------

    def _done(self, kind: str, key: str, outcome: Outcome, note: str = "") -> None:
        self.report.add(kind, key, outcome, note)
        if outcome != "present":
            self.progress(f"{outcome:>7}  {kind} {key}" + (f" ({note})" if note else ""))

    def _waiting(self, what: str, predicate: Callable[[BaseException], bool]) -> Retrying:
        def before_sleep(state: RetryCallState) -> None:
            if state.attempt_number == 1 and state.outcome is not None:
                error = state.outcome.exception()
                reason = error.detail if isinstance(error, ApiError) else str(error)
                self.progress(f"waiting  {what}: {reason}")

        return Retrying(
            stop=stop_after_delay(self.wait_seconds) | stop_after_attempt(MAX_ATTEMPTS),
            wait=wait_exponential(multiplier=0.1, min=0.1, max=2.0),
            retry=retry_if_exception(predicate),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _agency_id(self, code: str) -> str:
        if code not in self.agency_ids:
            found = self.client.find_agency_by_code(code)
            if found is None:
                raise ApiError(
                    404,
                    {"title": "Not found", "detail": f"agency {code} is not registered"},
                    service="agency",
                )
            self.agency_ids[code] = found["id"]
        return self.agency_ids[code]

    # --- agencies ----------------------------------------------------------------------------

    def seed_agencies(self) -> None:
        for agency in self.agencies:
            found = self.client.find_agency_by_code(agency.code)
            if found is None:
                body = {
                    "code": agency.code,
                    "name": agency.name,
                    "acronym": agency.acronym,
                    "kind": agency.kind,
                    "services": [{"code": s.code, "name": s.name} for s in agency.services],
                }
                try:
                    created = self.client.post("agency", "/agencies", body)
                except ApiError as error:
                    # Registered meanwhile by someone else: take it as it is.
                    found = self.client.find_agency_by_code(agency.code)
                    if error.status != 409 or found is None:
                        raise
                else:
                    self.agency_ids[agency.code] = created["id"]
                    self._done("agency", agency.code, "created")
                    for service in agency.services:
                        self.report.add(
                            "agency service", f"{agency.code}/{service.code}", "created"
                        )
                    continue
            self.agency_ids[agency.code] = found["id"]
            self._done("agency", agency.code, "present")
            offered = {s.get("code") for s in found.get("services") or []}
            for service in agency.services:
                key = f"{agency.code}/{service.code}"
                if service.code in offered:
                    self._done("agency service", key, "present")
                    continue
                if found.get("status") == "inactive":
                    self._done("agency service", key, "present", "agency inactive: left alone")
                    continue
                self.client.post(
                    "agency",
                    f"/agencies/{found['id']}/services",
                    {"code": service.code, "name": service.name},
                )
                self._done("agency service", key, "created")

    # --- the MoU -----------------------------------------------------------------------------

    def find_mou(self) -> dict[str, Any] | None:
        owner = self.mou.party_codes[0]
        matches = []
        for mou in self.client.iterate("mou", "/mous", {"party": self._agency_id(owner)}):
            if self.mou.number is not None:
                if mou.get("number") == self.mou.number:
                    matches.append(mou)
            elif str(mou.get("title", "")).strip().casefold() == self.mou.title.casefold():
                matches.append(mou)
        if not matches:
            return None
        alive = [m for m in matches if m.get("status") not in ("terminated", "expired")]
        return (alive or matches)[0]

    def seed_mou(self) -> None:
        key = self.mou.number or self.mou.title
        party_ids = [self._agency_id(code) for code in self.mou.party_codes]
        mou = self.find_mou()
        if mou is None:
            body: dict[str, Any] = {
                "title": self.mou.title,
                "parties": [{"agency_id": i} for i in party_ids],
                "valid_from": self.mou.valid_from.isoformat(),
            }
            if self.mou.number is not None:
                body["number"] = self.mou.number
            if self.mou.valid_until is not None:
                body["valid_until"] = self.mou.valid_until.isoformat()
            waiting = self._waiting(
                "for the MoU service to learn the agencies", agency_unknown_to_mou_service
            )
            mou = waiting(self.client.post, "mou", "/mous", body)
            self._done("mou", key, "created")
        else:
            self._done("mou", key, "present", f"status {mou.get('status')}")
        mou_id, status = _id_and_status(mou)
        if status in ("terminated", "expired"):
            return  # an operator ended it: leave history alone

        if status == "draft":
            present = {p["agency_id"] for p in mou.get("parties") or []}
            missing = [i for i in party_ids if i not in present]
            if missing:
                waiting = self._waiting(
                    "for the MoU service to learn the agencies", agency_unknown_to_mou_service
                )
                mou = waiting(
                    self.client.patch,
                    "mou",
                    f"/mous/{mou_id}",
                    {"parties": [*(p["agency_id"] for p in mou["parties"]), *missing]},
                )
                self._done("mou parties", key, "updated", f"{len(missing)} added")

        signing_at = self.mou.signing_at
        if status in ("draft", "signing") and not mou.get("signing_at"):
            mou = self.client.post(
                "mou", f"/mous/{mou_id}/schedule", {"signing_at": _iso(signing_at)}
            )
            self._done("mou signing date", signing_at.date().isoformat(), "updated")
        else:
            self._done("mou signing date", signing_at.date().isoformat(), "present")

        parties = {p["agency_id"]: p for p in mou.get("parties") or []}
        for signatory in self.mou.signatories:
            agency_id = self._agency_id(signatory.agency_code)
            party = parties.get(agency_id)
            if party is None:
                self._done("signature", signatory.agency_code, "present", "not a party: skipped")
            elif party.get("signed_at"):
                self._done("signature", signatory.agency_code, "present")
            else:
                mou = self.client.post(
                    "mou",
                    f"/mous/{mou_id}/signatures",
                    {
                        "agency_id": agency_id,
                        "signatory_name": signatory.name,
                        "signatory_title": signatory.title,
                        "signed_at": _iso(signing_at),
                    },
                )
                self._done("signature", signatory.agency_code, "updated")

        team = mou.get("team") or []
        for member in self.mou.team:
            agency_id = self._agency_id(member.agency_code)
            member_key = f"{member.agency_code}: {member.name}"
            if any(
                m.get("agency_id") == agency_id
                and str(m.get("name", "")).casefold() == member.name.casefold()
                for m in team
            ):
                self._done("team member", member_key, "present")
                continue
            mou = self.client.post(
                "mou",
                f"/mous/{mou_id}/team-members",
                {"agency_id": agency_id, "name": member.name, "role": member.role},
            )
            team = mou.get("team") or []
            self._done("team member", member_key, "created", member.role)

    # --- malls -------------------------------------------------------------------------------

    def find_mall(self, mall: ref.MallRef) -> dict[str, Any] | None:
        found = self.client.find_malls_in_region(mall.regency_code)
        open_ones = [m for m in found if m.get("status") != "closed"]
        candidates = open_ones or found
        return candidates[0] if candidates else None

    def seed_malls(self) -> None:
        for mall in self.malls:
            self.seed_mall(mall)

    def seed_mall(self, mall: ref.MallRef) -> None:
        key = f"{mall.regency_code} {mall.name}"
        found = self.find_mall(mall)
        if found is None:
            try:
                found = self.client.post("mall", "/malls", mall.create_body())
            except ApiError as error:
                found = self.find_mall(mall)
                if error.status != 409 or found is None:
                    raise
                self._done("mall", key, "present")
            else:
                self._done("mall", key, "created")
        else:
            self._done("mall", key, "present", f"status {found.get('status')}")
        mall_id, status = _id_and_status(found)
        if status == "closed":
            return  # an operator closed it: leave it be

        if mall.opened_at is not None:
            if status == "planned":
                found = self.client.post(
                    "mall", f"/malls/{mall_id}/open", {"opened_at": _iso(mall.opened_at)}
                )
                self._done("mall opening", key, "updated", mall.opened_at.date().isoformat())
            else:
                self._done("mall opening", key, "present")

        when = mall.inaugurated_at.date().isoformat()
        if found.get("status") in ("planned", "operating"):
            if not found.get("inauguration_scheduled_for"):
                found = self.client.post(
                    "mall",
                    f"/malls/{mall_id}/inauguration",
                    {"scheduled_for": _iso(mall.inaugurated_at)},
                )
                self._done("inauguration date", key, "updated", when)
            else:
                self._done("inauguration date", key, "present")
            found = self.client.post(
                "mall",
                f"/malls/{mall_id}/inaugurate",
                {
                    "inaugurated_at": _iso(mall.inaugurated_at),
                    "inaugurated_by": mall.inaugurated_by,
                },
            )
            self._done("inauguration", key, "updated", when)
        else:
            self._done("inauguration date", key, "present")
            self._done("inauguration", key, "present")

        since = mall.opened_at or mall.inaugurated_at
        counters = {c.get("agency_id") for c in found.get("counters") or []}
        for counter in mall.counters:
            counter_key = f"{mall.regency_code} {counter.agency_code}"
            agency_id = self._agency_id(counter.agency_code)
            if agency_id in counters:
                self._done("counter", counter_key, "present")
                continue
            waiting = self._waiting(
                f"for the mall service to accept {counter.agency_code}'s counter",
                counter_waits_for_projection,
            )
            found = waiting(
                self.client.post,
                "mall",
                f"/malls/{mall_id}/counters",
                {
                    "agency_id": agency_id,
                    "services": list(counter.services),
                    "opened_at": _iso(since),
                },
            )
            counters = {c.get("agency_id") for c in found.get("counters") or []}
            self._done("counter", counter_key, "created", ", ".join(counter.services))


def seed(client: MppClient, **options: Any) -> SeedReport:
    """Load the reference data; see :class:`Seeder` for the options."""
    return Seeder(client, **options).run()


def _id_and_status(found: dict[str, Any] | None) -> tuple[str, str | None]:
    """The id and status of what the seed found or created (it always has one by then)."""
    assert found is not None
    return str(found["id"]), found.get("status")
