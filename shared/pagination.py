"""Cursor pagination below HTTP: the page a repository returns and how it reads one.

``{"items": [...], "next_cursor": ...}``; the cursor is the opaque, URL-safe encoding of the
last item's sort key. Ids sort by creation time (``shared.clock.new_id``), so paging by ``_id``
is stable while items are added. Reading ``?limit=&cursor=`` from a request is the HTTP
layer's (``shared.http.pagination``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.errors import RuleViolated
from shared.numbers import parse_client_int
from shared.storage import ASCENDING, Collection

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = None


class PageRequest(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise RuleViolated("is not a cursor this service issued", field="cursor") from error
    if not value:
        raise RuleViolated("is not a cursor this service issued", field="cursor")
    return value


async def fetch_page(
    collection: Collection,
    query: dict[str, Any],
    page: PageRequest,
    to_item: Callable[[dict[str, Any]], T],
    *,
    sort_field: str = "_id",
    cursor_of: Callable[[dict[str, Any]], str] | None = None,
) -> Page[T]:
    """One page of ``collection`` matching ``query``, in ascending ``sort_field`` order."""
    filters = dict(query)
    if page.cursor:
        after = decode_cursor(page.cursor)
        value: Any = after
        if sort_field != "_id" and after.isascii() and after.isdigit():
            value = parse_client_int(after, field="cursor")
        filters = (
            {"$and": [query, {sort_field: {"$gt": value}}]}
            if query
            else {sort_field: {"$gt": value}}
        )
    documents = await (
        collection.find(filters).sort(sort_field, ASCENDING).limit(page.limit + 1).to_list(None)
    )
    has_more = len(documents) > page.limit
    documents = documents[: page.limit]
    next_cursor = None
    if has_more and documents:
        last = documents[-1]
        next_cursor = encode_cursor(cursor_of(last) if cursor_of else str(last[sort_field]))
    return Page[T](items=[to_item(d) for d in documents], next_cursor=next_cursor)
