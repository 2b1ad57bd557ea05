"""RFC 9457 problem details for every error a service answers.

Every error body is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance``; a 422 adds ``errors`` (each with the ``field`` that is wrong, as
a dotted path such as ``parties.2.agency_id``) and ``field`` (the first of them).

``PROBLEMS`` is the one table from error class to HTTP answer (status, problem type, title,
headers): the errors themselves (``shared.errors``) know nothing of HTTP. An HTTP module that
defines an error of its own adds its row with ``@answered_as(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.errors import (
    ConcurrentModification,
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    RuleViolated,
)
from shared.http.auth import Forbidden, Unauthorized
from shared.http.ratelimit import TooManyRequests
from shared.logging import get_logger

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://mpp.id/problems/"

log = get_logger(__name__)

_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


E = TypeVar("E", bound=type[DomainError])

HeadersOf = Callable[[DomainError], dict[str, str]]


@dataclass(frozen=True)
class Problem:
    """How one kind of error is answered: ``type`` is ``PROBLEM_BASE + slug``."""

    status: int
    slug: str
    title: str
    headers: HeadersOf | None = None


def _retry_after(error: DomainError) -> dict[str, str]:
    return {"Retry-After": str(error.extensions["retry_after_seconds"])}


PROBLEMS: dict[type[DomainError], Problem] = {
    DomainError: Problem(400, "bad-request", "Bad request"),
    NotFound: Problem(404, "not-found", "Not found"),
    Conflict: Problem(409, "conflict", "Conflict"),
    InvalidTransition: Problem(409, "invalid-transition", "Invalid state transition"),
    ConcurrentModification: Problem(409, "concurrent-modification", "Concurrent modification"),
    PreconditionFailed: Problem(412, "precondition-failed", "Precondition failed"),
    RuleViolated: Problem(422, "validation-error", "Invalid request"),
    Unauthorized: Problem(
        401, "unauthorized", "Unauthorized", lambda _: {"WWW-Authenticate": "Bearer"}
    ),
    Forbidden: Problem(403, "forbidden", "Forbidden"),
    TooManyRequests: Problem(429, "too-many-requests", "Too many requests", _retry_after),
}
"""Error class -> HTTP answer; a subclass without a row of its own is answered as its base."""


def answered_as(problem: Problem) -> Callable[[E], E]:
    """Class decorator: add the row for an error an HTTP module defines to ``PROBLEMS``."""

    def add(error: E) -> E:
        PROBLEMS[error] = problem
        return error

    return add


def problem_for(error: DomainError) -> Problem:
    """The row of the nearest class of ``error`` that ``PROBLEMS`` has."""
    for kind in type(error).__mro__:
        if kind in PROBLEMS:
            return PROBLEMS[kind]
    raise LookupError(f"{type(error).__name__} is not a DomainError")  # unreachable


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field at fault, e.g. `parties.2.agency_id`.")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error of every service is answered."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "validation-error"])
    title: str
    status: int
    detail: str
    instance: str
    field: str | None = Field(default=None, description="422: the (first) field at fault.")
    errors: list[FieldError] | None = Field(default=None, description="422: every field at fault.")
    current_state: str | None = Field(default=None, description="409 on a state transition.")
    current_version: int | None = Field(default=None, description="412: the current version.")


def _documented(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": ProblemDetails,
        "content": {
            PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body is not JSON"),
    401: _documented("No valid bearer key (changes, and notify's subscription resources)"),
    403: _documented("The key lacks the scope this request needs"),
    404: _documented("No such resource"),
    409: _documented("The request conflicts with the current state (problem names it)"),
    412: _documented("If-Match named a stale version"),
    413: _documented("The body is larger than MAX_BODY_BYTES (refused before it is read)"),
    422: _documented("Invalid input; `field` and `errors` name what is wrong"),
    429: _documented("Too many failed authentications from this address; see Retry-After"),
}
"""The problem answers every resource route may give, for the OpenAPI document."""


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    slug: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details response; ``extensions`` become top-level members."""
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    problem = problem_for(error)
    return problem_response(
        request,
        status=problem.status,
        title=problem.title,
        detail=error.detail,
        slug=problem.slug,
        headers=problem.headers(error) if problem.headers else None,
        **error.extensions,
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "field": _field_path(e.get("loc", ())),
            "location": str(e.get("loc", ("body",))[0]),
            "message": e.get("msg", "invalid"),
            "type": e.get("type", "invalid"),
        }
        for e in error.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem_response(
        request,
        status=422,
        title="Invalid request",
        detail=detail,
        slug="validation-error",
        field=first["field"],
        errors=errors,
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only one route's)."""

    def methods_in(routes: Iterable[Any]) -> set[str]:
        found: set[str] = set()
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's include_router
            if included is not None:
                found |= methods_in(included.routes)
            elif route.matches(request.scope)[0] is not Match.NONE:
                found |= set(getattr(route, "methods", None) or ())
        return found

    return ", ".join(sorted(methods_in(request.app.router.routes)))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    headers = dict(getattr(error, "headers", None) or {})
    if status == 405:
        headers["Allow"] = _allowed_methods(request)
    detail = error.detail if isinstance(error.detail, str) else _HTTP_TITLES.get(status, "Error")
    return problem_response(
        request,
        status=status,
        title=_HTTP_TITLES.get(status, "Error"),
        detail=detail,
        slug=_HTTP_TITLES.get(status, "error").lower().replace(" ", "-"),
        headers=headers or None,
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("http.unhandled_error", path=request.url.path)
    return problem_response(
        request,
        status=500,
        title="Internal server error",
        detail="The service failed to handle this request; it has been logged.",
        slug="internal-error",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, as problem details."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
