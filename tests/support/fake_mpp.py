"""An in-memory stand-in for the four services' HTTP resources, behind ``httpx.MockTransport``.

It follows DESIGN.md closely enough for mppctl's unit tests: lists page with
``limit``/``cursor``, errors are problem details, the lifecycle rules the seed relies on are
enforced (MoU draft -> signing -> signed; a planned or operating mall can be inaugurated; a
counter of an agency that is not a local government needs an MoU in force). Projection lag
is simulated with ``mou_lag`` (the MoU service refuses to draft that many times, as if the
agencies had not reached it yet) and ``counter_lag`` (the mall service answers 409
``no_mou_in_force`` that many times).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mppctl.client import ClientConfig, MppClient, Service

URLS: dict[Service, str] = {
    "agency": "http://agency.test",
    "mou": "http://mou.test",
    "mall": "http://mall.test",
    "notify": "http://notify.test",
}
API_KEY = "unit-test-key"
PROVINCES = {
    "31": "DKI Jakarta",
    "33": "Jawa Tengah",
    "35": "Jawa Timur",
    "36": "Banten",
    "61": "Kalimantan Barat",
    "63": "Kalimantan Selatan",
}


def _matching(
    request: httpx.Request,
    items: Iterable[dict[str, Any]],
    **tests: Callable[[dict[str, Any], str], bool],
) -> list[dict[str, Any]]:
    """The items that pass the test of every query parameter the request gives a value."""
    found = list(items)
    for name, test in tests.items():
        value = request.url.params.get(name)
        if value:
            found = [item for item in found if test(item, value)]
    return found


def _target(
    store: dict[str, dict[str, Any]], parts: list[str]
) -> tuple[dict[str, Any] | None, str | None]:
    """The resource ``/<collection>/<id>/...`` names (None when unknown), and its action."""
    resource = store.get(parts[1]) if len(parts) > 1 else None
    return resource, parts[2] if len(parts) > 2 else None


def problem(status: int, detail: str, **extensions: Any) -> httpx.Response:
    titles = {400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Invalid request"}
    body = {"type": "about:blank", "title": titles.get(status, "Error"), "status": status}
    body.update(detail=detail, **extensions)
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@dataclass
class FakeMpp:
    agencies: dict[str, dict[str, Any]] = field(default_factory=dict)
    mous: dict[str, dict[str, Any]] = field(default_factory=dict)
    malls: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    mou_lag: int = 0
    counter_lag: int = 0
    not_ready: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- wiring -------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, api_key: str | None = API_KEY) -> MppClient:
        return MppClient(
            ClientConfig(urls=dict(URLS), api_key=api_key),
            transport=self.transport(),
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        """One request at a time: the history loader calls from a pool of threads."""
        with self._lock:
            return self._handle(request)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        service = request.url.host.split(".")[0]
        path = request.url.path
        if path == "/healthz":
            return httpx.Response(200, json={"status": "ok", "service": service})
        if path == "/readyz":
            if service in self.not_ready:
                checks = {"broker": "unreachable", "database": "ok"}
                return httpx.Response(503, json={"status": "unavailable", "checks": checks})
            return httpx.Response(
                200, json={"status": "ready", "checks": {"broker": "ok", "database": "ok"}}
            )
        if request.method != "GET":
            if request.headers.get("authorization") != f"Bearer {API_KEY}":
                return problem(401, "This request needs Authorization: Bearer <key>.")
            self.writes.append(f"{request.method} {service}{path}")
        body = json.loads(request.content) if request.content else None
        handler = getattr(self, f"_{service}")
        response: httpx.Response = handler(request, path.strip("/").split("/"), body)
        return response

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    @staticmethod
    def _page(request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        limit = int(request.url.params.get("limit", "50"))
        start = int(request.url.params.get("cursor", "0"))
        chunk = items[start : start + limit]
        more = start + limit < len(items)
        return httpx.Response(
            200, json={"items": chunk, "next_cursor": str(start + limit) if more else None}
        )

    def _created(
        self, store: dict[str, dict[str, Any]], resource: dict[str, Any]
    ) -> httpx.Response:
        """Keep a new resource (version 1) and answer 201 with it."""
        store[resource["id"]] = resource
        return self._saved(resource, 201)

    @staticmethod
    def _saved(resource: dict[str, Any], status: int = 200) -> httpx.Response:
        resource["version"] = resource.get("version", 0) + 1
        return httpx.Response(status, json=resource, headers={"ETag": f'"{resource["version"]}"'})

    # --- agency -------------------------------------------------------------------------------

    def _agency(self, request: httpx.Request, parts: list[str], body: Any) -> httpx.Response:
        method = request.method
        if parts == ["agencies"] and method == "GET":
            items = _matching(
                request,
                self.agencies.values(),
                code=lambda a, code: a["code"] == code.upper(),
                kind=lambda a, kind: a["kind"] == kind,
            )
            return self._page(request, items)
        if parts == ["agencies"] and method == "POST":
            if any(a["code"] == body["code"] for a in self.agencies.values()):
                return problem(409, "an agency with this code exists", field="code")
            given = {k: v for k, v in body.items() if v is not None or k == "acronym"}
            new = {"id": self._id("agc"), "status": "active", "services": [], **given}
            return self._created(self.agencies, new)
        agency, _ = _target(self.agencies, parts)
        if agency is None:
            return problem(404, f"no agency with id {parts[1] if len(parts) > 1 else ''}")
        if len(parts) == 2 and method == "GET":
            return httpx.Response(200, json=agency)
        if parts[2:] == ["services"] and method == "POST":
            if any(s["code"] == body["code"] for s in agency["services"]):
                return problem(409, f"{agency['code']} already offers {body['code']}")
            agency["services"].append(body)
            return self._saved(agency, 201)
        return problem(404, "no such resource")

    # --- mou ----------------------------------------------------------------------------------

    def _mou(self, request: httpx.Request, parts: list[str], body: Any) -> httpx.Response:
        method = request.method
        if parts == ["mous"] and method == "GET":
            items = _matching(
                request,
                self.mous.values(),
                party=lambda m, party: any(p["agency_id"] == party for p in m["parties"]),
            )
            return self._page(request, items)
        if parts == ["mous"] and method == "POST":
            if self.mou_lag > 0:
                self.mou_lag -= 1
                first = body["parties"][0]["agency_id"]
                return problem(
                    422,
                    f"agency {first} is not known to the MoU service"
                    " (no agency.registered event for it has arrived)",
                    field="parties.0.agency_id",
                    errors=[{"field": "parties.0.agency_id", "message": "not known"}],
                )
            parties = []
            for p in body["parties"]:
                agency = self.agencies[p["agency_id"]]
                parties.append(
                    {
                        "agency_id": agency["id"],
                        "code": agency["code"],
                        "name": agency["name"],
                        "signed_at": None,
                        "signatory_name": None,
                        "signatory_title": None,
                    }
                )
            return self._created(
                self.mous,
                {
                    "id": self._id("mou"),
                    "number": body.get("number"),
                    "title": body["title"],
                    "parties": parties,
                    "status": "draft",
                    "signing_at": None,
                    "valid_from": body.get("valid_from"),
                    "valid_until": body.get("valid_until"),
                    "team": [],
                },
            )
        mou, action = _target(self.mous, parts)
        if mou is None:
            return problem(404, "no such MoU")
        if action is None and method == "GET":
            return httpx.Response(200, json=mou)
        if action == "schedule":
            mou["signing_at"] = body["signing_at"]
            return self._saved(mou)
        if action == "signatures":
            party = next(p for p in mou["parties"] if p["agency_id"] == body["agency_id"])
            if party["signed_at"]:
                return problem(409, f"{party['code']} already signed this MoU")
            party.update(
                signed_at=body.get("signed_at") or "2026-01-01T00:00:00Z",
                signatory_name=body["signatory_name"],
                signatory_title=body["signatory_title"],
            )
            done = all(p["signed_at"] for p in mou["parties"])
            mou["status"] = "signed" if done else "signing"
            return self._saved(mou, 201)
        if action == "team-members":
            agency = self.agencies[body["agency_id"]]
            mou["team"].append({**body, "agency_code": agency["code"]})
            return self._saved(mou, 201)
        return problem(404, "no such resource")

    def _in_force(self, agency_id: str) -> bool:
        return any(
            m["status"] == "signed" and any(p["agency_id"] == agency_id for p in m["parties"])
            for m in self.mous.values()
        )

    # --- mall ---------------------------------------------------------------------------------

    def _mall(self, request: httpx.Request, parts: list[str], body: Any) -> httpx.Response:
        method = request.method
        if parts == ["malls"] and method == "GET":
            items = _matching(
                request,
                self.malls.values(),
                province_code=lambda m, code: m["region"]["province_code"] == code,
                regency_code=lambda m, code: m["region"]["regency_code"] == code,
                status=lambda m, status: m["status"] == status,
            )
            return self._page(request, items)
        if parts == ["malls", "stats"]:
            by_status: dict[str, int] = {}
            for m in self.malls.values():
                by_status[m["status"]] = by_status.get(m["status"], 0) + 1
            return httpx.Response(
                200,
                json={
                    "total": len(self.malls),
                    "by_status": by_status,
                    "by_province": [],
                    "counters": sum(len(m["counters"]) for m in self.malls.values()),
                    "agencies": 0,
                },
            )
        if parts == ["malls"] and method == "POST":
            region = body["region"]
            if any(
                m["region"]["regency_code"] == region["regency_code"] and m["status"] != "closed"
                for m in self.malls.values()
            ):
                return problem(409, "that regency already has a mall", field="region.regency_code")
            new = {
                "id": self._id("mall"),
                "name": body["name"],
                "region": {**region, "province_name": PROVINCES[region["province_code"]]},
                "address": body.get("address"),
                "status": "planned",
                "opened_at": None,
                "inauguration_scheduled_for": None,
                "inaugurated_at": None,
                "inaugurated_by": None,
                "counters": [],
            }
            return self._created(self.malls, new)
        mall, action = _target(self.malls, parts)
        if mall is None:
            return problem(404, "no such mall")
        if action is None and method == "GET":
            return httpx.Response(200, json=mall)
        if action == "open":
            if mall["status"] != "planned":
                return problem(409, f"only a planned mall can open; it is {mall['status']}")
            mall.update(status="operating", opened_at=(body or {}).get("opened_at"))
            return self._saved(mall)
        if action == "inauguration":
            mall["inauguration_scheduled_for"] = body["scheduled_for"]
            return self._saved(mall)
        if action == "inaugurate":
            if mall["status"] not in ("planned", "operating"):
                return problem(409, f"{mall['name']} is {mall['status']}")
            mall.update(
                status="inaugurated",
                inaugurated_at=body["inaugurated_at"],
                inaugurated_by=body["inaugurated_by"],
                opened_at=mall["opened_at"] or body["inaugurated_at"],
            )
            return self._saved(mall)
        if action == "counters" and method == "POST":
            agency = self.agencies.get(body["agency_id"])
            if agency is None:
                return problem(422, "agency unknown to the mall service", field="agency_id")
            needs_mou = agency["kind"] != "local_government"
            if needs_mou and (self.counter_lag > 0 or not self._in_force(agency["id"])):
                self.counter_lag = max(0, self.counter_lag - 1)
                return problem(
                    409,
                    f"{agency['code']} is not a party to any MoU in force",
                    reason="no_mou_in_force",
                )
            offered = {s["code"] for s in agency["services"]}
            for i, code in enumerate(body["services"]):
                if code not in offered:
                    return problem(422, f"{agency['code']} offers no {code}", field=f"services.{i}")
            mall["counters"].append(
                {
                    "agency_id": agency["id"],
                    "code": agency["code"],
                    "name": agency["name"],
                    "services": body["services"],
                    "opened_at": body.get("opened_at") or "2026-01-01T00:00:00Z",
                }
            )
            return self._saved(mall, 201)
        return problem(404, "no such resource")

    # --- notify -------------------------------------------------------------------------------

    def _notify(self, request: httpx.Request, parts: list[str], body: Any) -> httpx.Response:
        return problem(404, "no such resource")
