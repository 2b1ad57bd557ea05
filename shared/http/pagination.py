"""Paging in HTTP: reading ``?limit=&cursor=`` from a request.

The page itself, its cursor and how a repository reads one live below HTTP, in
``shared.pagination``.
"""

from __future__ import annotations

from fastapi import Query, Request

from shared.numbers import parse_client_int
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest


async def page_request(
    request: Request,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page."),
    cursor: str | None = Query(
        None, max_length=512, description="`next_cursor` of the previous page."
    ),
) -> PageRequest:
    """FastAPI dependency for the paging query parameters.

    ``limit`` must be ASCII digits: pydantic alone would also take `` 5``, ``+5`` or ``5_0``.
    """
    raw_limit = request.query_params.get("limit")
    if raw_limit is not None:
        parse_client_int(raw_limit, field="limit", minimum=1, maximum=MAX_LIMIT)
    return PageRequest(limit=limit, cursor=cursor)
