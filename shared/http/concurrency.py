"""Optimistic concurrency over HTTP: ``ETag``/``If-Match`` carry the resource's ``version``."""

from __future__ import annotations

from fastapi import Header, Response

from shared.http.numbers import parse_client_int


def if_match_version(
    if_match: str | None = Header(
        None,
        alias="If-Match",
        max_length=64,
        pattern=r'^[ \t]*(\*|(W/)?"?[0-9]{1,19}"?)[ \t]*$',
        description="The `version` (or ETag) the change is based on; 412 if it is stale.",
    ),
) -> int | None:
    """FastAPI dependency: the version named by ``If-Match``, or None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    return parse_client_int(raw.strip('"'), field="If-Match", minimum=0)


def set_etag(response: Response, version: int) -> None:
    """Expose the version as a strong ETag, for clients that use ETag/If-Match generically."""
    response.headers["ETag"] = f'"{version}"'
