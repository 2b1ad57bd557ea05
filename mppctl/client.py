"""A small synchronous HTTP client for the four MPP services (docs/contract.md is its contract).

Configuration comes from the environment:

- ``MPP_AGENCY_URL`` (default ``http://localhost:8001``), ``MPP_MOU_URL`` (8002),
  ``MPP_MALL_URL`` (8003), ``MPP_NOTIFY_URL`` (8004);
- ``MPP_API_KEY``: sent as ``Authorization: Bearer <key>`` on every request;
- ``MPP_TIMEOUT``: seconds per request (default 10).

Every answer of 400 or more raises :class:`ApiError` carrying the RFC 9457 problem details
the service sent; a service that cannot be reached raises :class:`ServiceUnreachable`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from shared.agency_rules import AGENCY_CODE_PATTERN

Service = Literal["agency", "mou", "mall", "notify"]
SERVICES: tuple[Service, ...] = ("agency", "mou", "mall", "notify")

DEFAULT_URLS: dict[Service, str] = {
    "agency": "http://localhost:8001",
    "mou": "http://localhost:8002",
    "mall": "http://localhost:8003",
    "notify": "http://localhost:8004",
}
URL_VARIABLES: dict[Service, str] = {
    "agency": "MPP_AGENCY_URL",
    "mou": "MPP_MOU_URL",
    "mall": "MPP_MALL_URL",
    "notify": "MPP_NOTIFY_URL",
}

AGENCY_CODE = re.compile(AGENCY_CODE_PATTERN)
REGION_CODE = re.compile(r"^\d{2}(\.\d{2})?$")


class MppError(Exception):
    """Base of what the client raises."""


class ApiError(MppError):
    """A service refused or failed a request; ``problem`` is its RFC 9457 body."""

    def __init__(
        self,
        status: int,
        problem: Mapping[str, Any],
        *,
        service: str = "",
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.problem: dict[str, Any] = dict(problem)
        self.service = service
        self.method = method
        self.url = url
        super().__init__(self.message)

    @property
    def title(self) -> str:
        return str(self.problem.get("title") or httpx.codes.get_reason_phrase(self.status))

    @property
    def detail(self) -> str:
        detail = self.problem.get("detail")
        return str(detail) if detail else self.title

    @property
    def field(self) -> str | None:
        value = self.problem.get("field")
        return str(value) if value else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

    @property
    def type(self) -> str:
        return str(self.problem.get("type") or "about:blank")

    @property
    def message(self) -> str:
        """One line: what was refused and why, e.g. ``mou refused (422): parties.1...``."""
        field_note = (
            f" [field: {self.field}]" if self.field and self.field not in self.detail else ""
        )
        who = self.service or "service"
        return f"{who} answered {self.status} {self.title}: {self.detail}{field_note}"

    @property
    def is_server_error(self) -> bool:
        return self.status >= 500


class ServiceUnreachable(MppError):
    """No HTTP answer at all: connection refused, DNS failure, timeout."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        self.service = service
        self.url = url
        self.reason = reason
        super().__init__(f"the {service} service at {url} is unreachable: {reason}")


@dataclass(frozen=True)
class ClientConfig:
    urls: dict[Service, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    api_key: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientConfig:
        env = os.environ if environ is None else environ
        urls = {s: (env.get(URL_VARIABLES[s]) or DEFAULT_URLS[s]).rstrip("/") for s in SERVICES}
        timeout = float(env.get("MPP_TIMEOUT") or 10.0)
        return cls(urls=urls, api_key=env.get("MPP_API_KEY") or None, timeout=timeout)


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    text = response.text.strip()
    return {
        "title": response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code),
        "status": response.status_code,
        "detail": text[:500] if text else response.reason_phrase,
    }


class MppClient:
    """One ``httpx.Client`` per service; ``transport`` lets tests answer in-process."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or ClientConfig.from_env()
        self._transport = transport
        self._clients: dict[Service, httpx.Client] = {}

    @classmethod
    def from_env(cls, *, transport: httpx.BaseTransport | None = None) -> MppClient:
        return cls(ClientConfig.from_env(), transport=transport)

    def __enter__(self) -> MppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def url(self, service: Service) -> str:
        return self.config.urls[service]

    def http(self, service: Service) -> httpx.Client:
        if service not in self._clients:
            headers = {"Accept": "application/json", "User-Agent": "mppctl/0.1"}
            if self.config.api_key:
                headers["Authorization"] = f"Bearer {self.config.api_key}"
            self._clients[service] = httpx.Client(
                base_url=self.url(service),
                headers=headers,
                timeout=self.config.timeout,
                transport=self._transport,
            )
        return self._clients[service]

    # --- plain requests ----------------------------------------------------------------------

    def request(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        if_match: int | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty body); raises on anything not 2xx."""
        headers = {"If-Match": f'"{if_match}"'} if if_match is not None else None
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http(service).request(
                method,
                path,
                params=clean or None,
                json=json,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as error:
            raise ServiceUnreachable(service, self.url(service), _reason(error)) from error
        if response.status_code >= 400:
            raise ApiError(
                response.status_code,
                _problem_of(response),
                service=service,
                method=method,
                url=str(response.request.url),
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def get(self, service: Service, path: str, **params: Any) -> Any:
        return self.request(service, "GET", path, params=params)

    def post(
        self, service: Service, path: str, body: Any = None, *, if_match: int | None = None
    ) -> Any:
        return self.request(service, "POST", path, json=body, if_match=if_match)

    def patch(self, service: Service, path: str, body: Any, *, if_match: int | None = None) -> Any:
        return self.request(service, "PATCH", path, json=body, if_match=if_match)

    def delete(self, service: Service, path: str, *, if_match: int | None = None) -> Any:
        return self.request(service, "DELETE", path, if_match=if_match)

    # --- lists -------------------------------------------------------------------------------

    def page(
        self, service: Service, path: str, params: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page: its items and the cursor of the next (None on the last)."""
        body = self.request(service, "GET", path, params=params)
        if isinstance(body, list):  # tolerate a bare list
            return body, None
        if not isinstance(body, dict):
            return [], None
        items = body.get("items") or []
        return list(items), body.get("next_cursor")

    def iterate(
        self,
        service: Service,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = 200,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, following ``next_cursor`` page by page."""
        query: dict[str, Any] = {**(params or {}), "limit": page_size}
        while True:
            items, cursor = self.page(service, path, query)
            yield from items
            if not cursor:
                return
            query["cursor"] = cursor

    def collect(
        self,
        service: Service,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` items, and whether more are left."""
        query: dict[str, Any] = {**(params or {}), "limit": min(max(limit, 1), 500)}
        items: list[dict[str, Any]] = []
        while True:
            page, cursor = self.page(service, path, query)
            items.extend(page)
            if len(items) >= limit:
                return items[:limit], bool(cursor) or len(items) > limit
            if not cursor:
                return items, False
            query["cursor"] = cursor

    # --- streams -----------------------------------------------------------------------------

    @contextmanager
    def stream(
        self,
        service: Service,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float = 60.0,
    ) -> Iterator[httpx.Response]:
        """A streamed GET (e.g. Server-Sent Events); raises like :meth:`request` on errors."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        timeout = httpx.Timeout(self.config.timeout, read=read_timeout)
        try:
            with self.http(service).stream(
                "GET", path, params=clean or None, headers=dict(headers or {}), timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError(
                        response.status_code,
                        _problem_of(response),
                        service=service,
                        method="GET",
                        url=str(response.request.url),
                    )
                yield response
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise ServiceUnreachable(service, self.url(service), _reason(error)) from error

    # --- lookups the CLI and the seed share --------------------------------------------------

    def find_agency_by_code(self, code: str) -> dict[str, Any] | None:
        items, _ = self.page("agency", "/agencies", {"code": code.upper(), "limit": 5})
        return next((a for a in items if a.get("code") == code.upper()), None)

    def resolve_agency(self, id_or_code: str) -> dict[str, Any]:
        """An agency by id or by code (``KEMENPANRB``); ApiError 404 when there is none."""
        if AGENCY_CODE.match(id_or_code):
            found = self.find_agency_by_code(id_or_code)
            if found is not None:
                return found
        try:
            agency: dict[str, Any] = self.get("agency", f"/agencies/{id_or_code}")
        except ApiError as error:
            if error.status == 404:
                raise ApiError(
                    404,
                    {
                        "title": "Not found",
                        "status": 404,
                        "detail": f"no agency has the id or code {id_or_code}",
                    },
                    service="agency",
                ) from error
            raise
        return agency

    def find_malls_in_region(self, region_code: str) -> list[dict[str, Any]]:
        """The malls whose Kemendagri code is ``region_code`` (e.g. ``61.03``)."""
        province = region_code.split(".", 1)[0]
        return [
            m
            for m in self.iterate("mall", "/malls", {"province_code": province})
            if (m.get("region") or {}).get("regency_code") == region_code
        ]

    def resolve_mall(self, id_or_region: str) -> dict[str, Any]:
        """A mall by id or by its region's Kemendagri code (``61.03``); 404 when none."""
        if REGION_CODE.match(id_or_region):
            found = self.find_malls_in_region(id_or_region)
            open_ones = [m for m in found if m.get("status") != "closed"] or found
            if open_ones:
                return open_ones[0]
            raise ApiError(
                404,
                {
                    "title": "Not found",
                    "status": 404,
                    "detail": f"no mall is registered for the region {id_or_region}",
                },
                service="mall",
            )
        mall: dict[str, Any] = self.get("mall", f"/malls/{id_or_region}")
        return mall


def _reason(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({text})"
    return text
