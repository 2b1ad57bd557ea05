"""Domain errors: what went wrong in the language of the domain, free of HTTP.

The HTTP layer maps each to an RFC 9457 problem (see ``shared.http.problems``).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused a command."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """The command clashes with what is stored (a duplicate, a second signature, ...)."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    """The aggregate's current state does not allow the command."""

    slug = "invalid-transition"
    title = "Invalid state transition"

    def __init__(self, detail: str, *, current_state: str, **extensions: Any) -> None:
        super().__init__(detail, current_state=current_state, **extensions)


class ConcurrentModification(Conflict):
    """Someone else changed the aggregate between our read and our write."""

    slug = "concurrent-modification"
    title = "Concurrent modification"


class PreconditionFailed(DomainError):
    """``If-Match`` named a version that is no longer current."""

    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class RuleViolated(DomainError):
    """A field's value breaks a rule; ``field`` names it (e.g. ``parties[2].agency_id``)."""

    status = 422
    slug = "validation-error"
    title = "Invalid request"

    def __init__(self, detail: str, *, field: str, **extensions: Any) -> None:
        super().__init__(
            f"{field}: {detail}",
            field=field,
            errors=[{"field": field, "message": detail}],
            **extensions,
        )
        self.field = field
