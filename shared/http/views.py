"""What a resource looks like over HTTP, apart from how its aggregate is stored.

A service's ``views`` module declares each resource's public fields; a route answers
``View.from_aggregate(aggregate)``, so a field added to an aggregate (or kept beside it in
storage, like the outbox's) reaches no client until a view names it.
"""

from __future__ import annotations

from typing import Self, TypeVar

from pydantic import BaseModel

from shared.clock import UtcDateTime
from shared.domain import Aggregate
from shared.pagination import Page

A = TypeVar("A", bound=Aggregate)
V = TypeVar("V", bound="ResourceView")


class ResourceView(BaseModel):
    """The fields every resource shows: identity, version (its ETag) and timestamps."""

    id: str
    version: int = 1
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def from_aggregate(cls, aggregate: Aggregate) -> Self:
        """The view of ``aggregate``: the fields this view names, read by name, nested too."""
        return cls.model_validate(aggregate, from_attributes=True)


def page_of(view: type[V], page: Page[A]) -> Page[V]:
    """``page`` with each aggregate shown as ``view``.

    ``Page[view]``, the concrete class: it is what the route declares and FastAPI checks.
    """
    return Page[view](  # type: ignore[valid-type]
        items=[view.from_aggregate(item) for item in page.items], next_cursor=page.next_cursor
    )
