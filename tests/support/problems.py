"""Checks on refusals: every service answers one with ``application/problem+json``."""

from __future__ import annotations

from typing import Any

import httpx


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """``response``'s problem details, checked to be a problem+json refusal with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
