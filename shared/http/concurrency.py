"""Optimistic concurrency over HTTP: ``ETag``/``If-Match`` carry the resource's ``version``."""

from __future__ import annotations

from fastapi import Header, Response

from shared.domain import ExpectedVersion
from shared.errors import RuleViolated
from shared.http.etags import ENTITY_TAG_LIST_PATTERN, parse_condition
from shared.numbers import is_client_int


async def if_match_version(
    if_match: str | None = Header(
        None,
        alias="If-Match",
        max_length=1024,
        pattern=ENTITY_TAG_LIST_PATTERN,
        description=(
            'The ETag(s) the change is based on (`"3"`, `"3", "4"`, `*`, or a bare `3`); 412'
            ' if none is current. Compared strongly: a weak tag (`W/"3"`) never matches.'
        ),
    ),
) -> ExpectedVersion:
    """FastAPI dependency: the versions ``If-Match`` accepts (RFC 9110 strong comparison).

    Weak or non-numeric tags can match no version: they stay in the condition as nothing,
    so a list of only those answers 412 once the resource is found (404 still wins).
    """
    if if_match is None:
        return None
    condition = parse_condition(if_match)
    if condition is None:
        raise RuleViolated('If-Match must be *, "3" or a list of entity tags', field="If-Match")
    if condition.any:
        return None
    versions = frozenset(
        int(tag.opaque) for tag in condition.tags if not tag.weak and is_client_int(tag.opaque)
    )
    if len(versions) == 1:
        return next(iter(versions))
    return versions


def set_etag(response: Response, version: int) -> None:
    """Expose the version as a strong ETag, for clients that use ETag/If-Match generically."""
    response.headers["ETag"] = f'"{version}"'
