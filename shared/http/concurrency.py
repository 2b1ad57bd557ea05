"""Optimistic concurrency over HTTP: ``ETag``/``If-Match`` carry the resource's ``version``."""

from __future__ import annotations

from fastapi import Header, Response

from shared.errors import RuleViolated


def if_match_version(
    if_match: str | None = Header(
        None,
        alias="If-Match",
        pattern=r'^\s*(\*|(W/)?"?\d+"?)\s*$',
        description="The `version` (or ETag) the change is based on; 412 if it is stale.",
    ),
) -> int | None:
    """FastAPI dependency: the version named by ``If-Match``, or None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    if not raw.isdigit():
        raise RuleViolated('If-Match must be a version number such as 3 or "3"', field="If-Match")
    return int(raw)


def set_etag(response: Response, version: int) -> None:
    """Expose the version as a strong ETag, for clients that use ETag/If-Match generically."""
    response.headers["ETag"] = f'"{version}"'
