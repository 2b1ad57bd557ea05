"""Domain errors become problem+json in the HTTP layer: one table says status, type, title."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.notify.feed import TooManyStreams
from shared import errors
from shared.http.auth import Forbidden, Unauthorized
from shared.http.problems import PROBLEM_BASE, install_problem_handlers
from shared.http.ratelimit import TooManyRequests

RAISED: dict[str, errors.DomainError] = {
    "plain": errors.DomainError("refused"),
    "missing": errors.NotFound("agency agc_1 does not exist"),
    "clash": errors.Conflict("an agency with this code exists"),
    "state": errors.InvalidTransition(
        "cannot sign it: it is terminated", current_state="terminated"
    ),
    "race": errors.ConcurrentModification("changed meanwhile"),
    "stale": errors.PreconditionFailed("mou m_1 is at version 3, not 2", current_version=3),
    "rule": errors.RuleViolated("cannot be empty", field="name"),
    "nokey": Unauthorized("The bearer key is not valid."),
    "scope": Forbidden("lacks it", scope="mou:write"),
    "guessing": TooManyRequests("slow down", retry_after_seconds=7),
    "streams": TooManyStreams("too many"),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/{name}")
    async def fail(name: str) -> None:
        raise RAISED[name]

    return app


@pytest.mark.parametrize(
    ("name", "status", "slug", "title", "headers"),
    [
        ("plain", 400, "bad-request", "Bad request", {}),
        ("missing", 404, "not-found", "Not found", {}),
        ("clash", 409, "conflict", "Conflict", {}),
        ("state", 409, "invalid-transition", "Invalid state transition", {}),
        ("race", 409, "concurrent-modification", "Concurrent modification", {}),
        ("stale", 412, "precondition-failed", "Precondition failed", {}),
        ("rule", 422, "validation-error", "Invalid request", {}),
        ("nokey", 401, "unauthorized", "Unauthorized", {"www-authenticate": "Bearer"}),
        ("scope", 403, "forbidden", "Forbidden", {}),
        ("guessing", 429, "too-many-requests", "Too many requests", {"retry-after": "7"}),
        ("streams", 503, "too-many-streams", "Too many open streams", {"retry-after": "5"}),
    ],
)
async def test_each_error_is_answered_as_its_row_of_the_table_says(
    name: str, status: int, slug: str, title: str, headers: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.get(f"/{name}")
    error = RAISED[name]
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": error.detail,
        "instance": f"/{name}",
        **error.extensions,
    }
    assert {k: answer.headers[k] for k in headers} == headers


def test_the_errors_themselves_carry_nothing_of_http() -> None:
    for error in RAISED.values():
        for attribute in ("status", "slug", "title", "headers"):
            assert not hasattr(error, attribute), (type(error).__name__, attribute)
